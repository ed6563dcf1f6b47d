using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

public sealed record ChangePasswordRequest(string CurrentPassword, string NewPassword);

/// <summary>
/// <c>POST /api/me/password</c>: changes the caller's password. <see cref="AuditingUserManager"/> clears the
/// must-change mark and audits the change; the new security stamp ends every token of the account, this one included,
/// so the caller signs in again with the new password.
/// </summary>
internal static class ChangePassword
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/me/password", HandleAsync).WithName("ChangePassword").WithTags("Accounts");

    private static async Task<Results<NoContent, ValidationProblem, UnauthorizedHttpResult>> HandleAsync(
        ChangePasswordRequest request,
        ClaimsPrincipal principal,
        UserManager<RetinaScreenUser> users,
        ILoggerFactory loggers)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        if (string.Equals(request.CurrentPassword, request.NewPassword, StringComparison.Ordinal))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["newPassword"] = ["The new password must differ from the current one."],
            });
        }

        var result = await users.ChangePasswordAsync(user, request.CurrentPassword ?? "", request.NewPassword ?? "");
        if (!result.Succeeded)
        {
            return TypedResults.ValidationProblem(result.Errors
                .GroupBy(error => error.Code)
                .ToDictionary(group => group.Key, group => group.Select(error => error.Description).ToArray()));
        }

        var logger = loggers.CreateLogger(typeof(ChangePassword));
        PortalLog.PasswordChanged(logger, user.Id);
        return TypedResults.NoContent();
    }
}
