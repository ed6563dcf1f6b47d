using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

public sealed record ResetUserPasswordRequest(string NewPassword);

/// <summary>
/// <c>POST /api/admin/users/{id}/password</c>: an administrator gives the account a one-time password, which the
/// user must change at the next sign-in. The account's sessions end. Admins only; audited by
/// <see cref="AuditingUserManager"/>.
/// </summary>
internal static class ResetUserPassword
{
    public static void Map(IEndpointRouteBuilder admin) =>
        admin.MapPost("/users/{id}/password", HandleAsync).WithName("ResetUserPassword").WithTags("Administration");

    private static async Task<Results<Ok<UserResponse>, NotFound<ProblemDetails>, ValidationProblem>> HandleAsync(
        string id, ResetUserPasswordRequest request, ClaimsPrincipal principal, UserManager<RetinaScreenUser> users, TimeProvider clock, ILoggerFactory loggers)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null)
        {
            return DisableUser.NoSuchUser();
        }

        // Set before the reset so that the reset's single update stores both.
        user.MustChangePassword = true;
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, request.NewPassword ?? "");
        if (!result.Succeeded)
        {
            return TypedResults.ValidationProblem(result.Errors
                .GroupBy(error => error.Code)
                .ToDictionary(group => group.Key, group => group.Select(error => error.Description).ToArray()));
        }

        var logger = loggers.CreateLogger(typeof(ResetUserPassword));
        var actor = AuditTrail.ActorOf(principal);
        PortalLog.PasswordReset(logger, actor, user.Id);
        return TypedResults.Ok(await UserResponse.OfAsync(users, user, clock.GetUtcNow()));
    }
}
