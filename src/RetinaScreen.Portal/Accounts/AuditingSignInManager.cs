using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// The sign-in manager that <c>MapIdentityApi</c>'s login and refresh use. Every password sign-in of a known
/// account is audited (success, failure, refused because disabled). A failure never locks the account for
/// everyone: failures are counted per account and source by <see cref="SignInThrottle"/> instead. The answer does
/// not tell an unknown account, a wrong password and a disabled account apart, by its content or by its time.
/// A refresh token is honoured only while the account may still sign in.
/// </summary>
internal sealed class AuditingSignInManager(
    UserManager<RetinaScreenUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<RetinaScreenUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<RetinaScreenUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<RetinaScreenUser> confirmation,
    AuditTrail audit)
    : SignInManager<RetinaScreenUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    /// <summary>A hash of a random password, verified when there is no account hash to verify, so that every answer costs one hash.</summary>
    private static readonly Lazy<string> DecoyHash = new(() =>
        new PasswordHasher<RetinaScreenUser>().HashPassword(new RetinaScreenUser(), BootstrapAdministrator.GeneratePassword()));

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var user = await UserManager.FindByNameAsync(userName);
        if (user is null)
        {
            SpendOneHash(password);
            PortalLog.LoginFailedUnknownAccount(Logger);
            return SignInResult.Failed;
        }

        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
    }

    public override async Task<SignInResult> PasswordSignInAsync(RetinaScreenUser user, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var result = await base.PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure: false);
        var cancellationToken = Context.RequestAborted;
        var actor = user.Email ?? user.UserName ?? user.Id;
        var address = Context.Connection.RemoteIpAddress?.ToString();
        if (result.Succeeded)
        {
            PortalLog.LoginSucceeded(Logger, user.Id);
            await audit.TryAppendAsync(actor, "user.login", "user", user.Id, new { address }, cancellationToken);
            return result;
        }

        if (result.IsLockedOut || result.IsNotAllowed)
        {
            // Refused before the password was checked.
            SpendOneHash(password);
            PortalLog.LoginRefusedDisabled(Logger, user.Id);
            await audit.TryAppendAsync(actor, "user.login.refused", "user", user.Id, new { address }, cancellationToken);
        }
        else
        {
            PortalLog.LoginFailed(Logger, user.Id);
            await audit.TryAppendAsync(actor, "user.login.failed", "user", user.Id, new { address }, cancellationToken);
        }

        return SignInResult.Failed;
    }

    /// <summary>Used by the refresh endpoint (and the cookie's periodic check): also refused while the account is disabled.</summary>
    public override async Task<RetinaScreenUser?> ValidateSecurityStampAsync(ClaimsPrincipal? principal)
    {
        var user = await base.ValidateSecurityStampAsync(principal);
        if (user is null || !await CanSignInAsync(user) || await IsLockedOut(user))
        {
            return null;
        }

        return user;
    }

    private static void SpendOneHash(string password) =>
        _ = new PasswordHasher<RetinaScreenUser>().VerifyHashedPassword(new RetinaScreenUser(), DecoyHash.Value, password ?? "");
}
