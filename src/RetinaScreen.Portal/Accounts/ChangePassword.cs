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
/// <c>POST /api/me/password</c>: changes the caller's password and clears the must-change mark. The caller signs in
/// again afterwards to get a token without the mark.
/// </summary>
internal static class ChangePassword
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/me/password", HandleAsync).WithName("ChangePassword").WithTags("Accounts");

    private static async Task<Results<NoContent, ValidationProblem, UnauthorizedHttpResult>> HandleAsync(
        ChangePasswordRequest request,
        ClaimsPrincipal principal,
        UserManager<RetinaScreenUser> users,
        AuditTrail audit,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
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

        if (user.MustChangePassword)
        {
            user.MustChangePassword = false;
            await users.UpdateAsync(user);
        }

        var logger = loggers.CreateLogger(typeof(ChangePassword));
        PortalLog.PasswordChanged(logger, user.Id);
        await audit.TryAppendAsync(user.Email ?? user.Id, "user.password.changed", "user", user.Id, null, cancellationToken);
        return TypedResults.NoContent();
    }
}
