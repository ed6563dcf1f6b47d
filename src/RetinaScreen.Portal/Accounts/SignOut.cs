using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// <c>POST /api/auth/logout</c>: ends the caller's sessions. Bearer tokens are sealed, not stored, so ending one
/// means changing the account's security stamp, which every token of the account carries: this access token and
/// its refresh token stop working, and so do the account's sessions on other workstations.
/// </summary>
internal static class SignOut
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/auth/logout", HandleAsync).WithName("SignOut").WithTags("Accounts");

    private static async Task<Results<NoContent, UnauthorizedHttpResult>> HandleAsync(
        ClaimsPrincipal principal, UserManager<RetinaScreenUser> users, AuditTrail audit, ILoggerFactory loggers)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        var result = await users.UpdateSecurityStampAsync(user);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not end the sessions: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }

        var logger = loggers.CreateLogger(typeof(SignOut));
        PortalLog.SignedOut(logger, user.Id);
        // Written even when the caller has gone: the sessions have ended either way.
        await audit.TryAppendAsync(AuditTrail.ActorOf(principal), "user.logout", "user", user.Id, null, CancellationToken.None);
        return TypedResults.NoContent();
    }
}
