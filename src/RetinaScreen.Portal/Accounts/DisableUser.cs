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

/// <summary>
/// <c>POST /api/admin/users/{id}/disable</c> and <c>…/enable</c>. Admins only. A disabled account cannot sign in,
/// its refresh tokens are refused and its access tokens stop working; enabling it does not revive them (the user
/// signs in again). Audited by <see cref="AuditingUserManager"/>. An administrator cannot disable their own account,
/// so the last one cannot shut everyone out.
/// </summary>
internal static class DisableUser
{
    public static void Map(IEndpointRouteBuilder admin)
    {
        admin.MapPost("/users/{id}/disable", DisableAsync).WithName("DisableUser").WithTags("Administration");
        admin.MapPost("/users/{id}/enable", EnableAsync).WithName("EnableUser").WithTags("Administration");
    }

    private static async Task<Results<Ok<UserResponse>, NotFound<ProblemDetails>, ValidationProblem>> DisableAsync(
        string id, ClaimsPrincipal principal, UserManager<RetinaScreenUser> users, TimeProvider clock, ILoggerFactory loggers)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null)
        {
            return NoSuchUser();
        }

        if (string.Equals(users.GetUserId(principal), user.Id, StringComparison.Ordinal))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["id"] = ["An administrator cannot disable their own account."],
            });
        }

        await users.SetLockoutEnabledAsync(user, true);
        var result = await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not disable the account: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }

        var logger = loggers.CreateLogger(typeof(DisableUser));
        var actor = AuditTrail.ActorOf(principal);
        PortalLog.UserDisabled(logger, actor, user.Id);
        return TypedResults.Ok(await UserResponse.OfAsync(users, user, clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<UserResponse>, NotFound<ProblemDetails>, ValidationProblem>> EnableAsync(
        string id, ClaimsPrincipal principal, UserManager<RetinaScreenUser> users, TimeProvider clock, ILoggerFactory loggers)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null)
        {
            return NoSuchUser();
        }

        var result = await users.SetLockoutEndDateAsync(user, null);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not enable the account: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }

        await users.ResetAccessFailedCountAsync(user);
        var logger = loggers.CreateLogger(typeof(DisableUser));
        var actor = AuditTrail.ActorOf(principal);
        PortalLog.UserEnabled(logger, actor, user.Id);
        return TypedResults.Ok(await UserResponse.OfAsync(users, user, clock.GetUtcNow()));
    }

    internal static NotFound<ProblemDetails> NoSuchUser() => TypedResults.NotFound(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Title = "No such user",
        Detail = "No account has this id.",
    });
}
