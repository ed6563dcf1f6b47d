using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RetinaScreen.Data;
using RetinaScreen.Hosting.Security;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// Decides, on every request, what a signed-in user's token still allows. A bearer token is a sealed copy of the
/// claims at sign-in; this check replaces its roles and must-change mark with the account's current ones and
/// refuses the token outright (401) when its security stamp is no longer the account's (password changed or reset,
/// signed out, disabled) or the account is disabled. One database read per account per
/// <see cref="LoginOptions.AccountCheckInterval"/> keeps the cost off the worklist; changes made through this
/// process's <see cref="AuditingUserManager"/> drop the cached state at once.
/// </summary>
internal sealed class AccountAccess(
    IMemoryCache cache,
    IDbContextFactory<RetinaScreenDbContext> dbFactory,
    IOptions<LoginOptions> login,
    IOptions<IdentityOptions> identity,
    TimeProvider clock)
{
    private const string BearerPrefix = "Bearer ";

    /// <summary>
    /// The bearer handler's hook before it reads the token: the token is read here instead, and the request is
    /// authenticated with the account's current principal or refused. Expired or unreadable tokens are left to the
    /// handler, which refuses them as usual.
    /// </summary>
    public static async Task CheckBearerAsync(MessageReceivedContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = context.Token ?? (header.StartsWith(BearerPrefix, StringComparison.Ordinal) ? header[BearerPrefix.Length..] : null);
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        var ticket = context.Options.BearerTokenProtector.Unprotect(token);
        var access = context.HttpContext.RequestServices.GetRequiredService<AccountAccess>();
        if (ticket?.Properties.ExpiresUtc is not { } expires || access.Now >= expires)
        {
            return;
        }

        var current = await access.CurrentPrincipalAsync(ticket.Principal);
        if (current is null)
        {
            context.Fail("The account's sessions have ended, or it is disabled.");
            return;
        }

        context.Principal = current;
        context.Properties = ticket.Properties;
        context.Success();
    }

    /// <summary>The same check for the sign-in cookie (<c>?useCookies=true</c>).</summary>
    public static async Task CheckCookieAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is null)
        {
            return;
        }

        var access = context.HttpContext.RequestServices.GetRequiredService<AccountAccess>();
        var current = await access.CurrentPrincipalAsync(context.Principal);
        if (current is null)
        {
            context.RejectPrincipal();
        }
        else
        {
            context.ReplacePrincipal(current);
        }
    }

    /// <returns>The token's principal with the account's current roles and mark; null when the token must be refused.</returns>
    public async Task<ClaimsPrincipal?> CurrentPrincipalAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity is not ClaimsIdentity { IsAuthenticated: true } token)
        {
            return null;
        }

        var claimTypes = identity.Value.ClaimsIdentity;
        var userId = token.FindFirst(claimTypes.UserIdClaimType)?.Value;
        var stamp = token.FindFirst(claimTypes.SecurityStampClaimType)?.Value;
        if (userId is null || stamp is null)
        {
            return null;
        }

        var state = await StateOfAsync(userId);
        if (state is null
            || !string.Equals(state.SecurityStamp, stamp, StringComparison.Ordinal)
            || state.DisabledUntil > clock.GetUtcNow())
        {
            return null;
        }

        var current = new ClaimsIdentity(token.AuthenticationType, claimTypes.UserNameClaimType, claimTypes.RoleClaimType);
        current.AddClaims(token.Claims.Where(claim =>
            claim.Type != claimTypes.RoleClaimType && claim.Type != AccessPolicies.MustChangePasswordClaim));
        current.AddClaims(state.Roles.Select(role => new Claim(claimTypes.RoleClaimType, role)));
        if (state.MustChangePassword)
        {
            current.AddClaim(new Claim(AccessPolicies.MustChangePasswordClaim, "true"));
        }

        return new ClaimsPrincipal(current);
    }

    private DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Drops what is known of the account, so that the next request reads it again.</summary>
    public void Forget(string userId) => cache.Remove(KeyOf(userId));

    private async Task<AccountState?> StateOfAsync(string userId)
    {
        var interval = login.Value.AccountCheckInterval;
        if (interval > TimeSpan.Zero && cache.TryGetValue(KeyOf(userId), out AccountState? known))
        {
            return known;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var user = await db.Users.AsNoTracking()
            .Where(user => user.Id == userId)
            .Select(user => new { user.SecurityStamp, user.LockoutEnabled, user.LockoutEnd, user.MustChangePassword })
            .SingleOrDefaultAsync();
        AccountState? state = null;
        if (user is not null)
        {
            var roles = await (
                    from userRole in db.UserRoles
                    join role in db.Roles on userRole.RoleId equals role.Id
                    where userRole.UserId == userId
                    select role.Name)
                .ToListAsync();
            state = new AccountState(
                user.SecurityStamp ?? "",
                user.LockoutEnabled ? user.LockoutEnd : null,
                user.MustChangePassword,
                [.. roles.OfType<string>()]);
        }

        if (interval > TimeSpan.Zero)
        {
            cache.Set(KeyOf(userId), state, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = interval, Size = 1 });
        }

        return state;
    }

    private static string KeyOf(string userId) => "account-access:" + userId;

    private sealed record AccountState(string SecurityStamp, DateTimeOffset? DisabledUntil, bool MustChangePassword, string[] Roles);
}
