using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// The sign-in manager that <c>MapIdentityApi</c>'s login uses, with every password sign-in of a known account
/// written to the audit trail (success, failure, lock-out).
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
    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var user = await UserManager.FindByNameAsync(userName);
        if (user is null)
        {
            PortalLog.LoginFailedUnknownAccount(Logger);
            return SignInResult.Failed;
        }

        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
    }

    public override async Task<SignInResult> PasswordSignInAsync(RetinaScreenUser user, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var result = await base.PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
        var cancellationToken = Context.RequestAborted;
        var actor = user.Email ?? user.UserName ?? user.Id;
        var address = Context.Connection.RemoteIpAddress?.ToString();
        if (result.Succeeded)
        {
            PortalLog.LoginSucceeded(Logger, user.Id);
            await audit.TryAppendAsync(actor, "user.login", "user", user.Id, new { address }, cancellationToken);
        }
        else if (result.IsLockedOut)
        {
            PortalLog.LockedOut(Logger, user.Id);
            await audit.TryAppendAsync(actor, "user.login.lockedout", "user", user.Id, new { address }, cancellationToken);
        }
        else
        {
            PortalLog.LoginFailed(Logger, user.Id);
            await audit.TryAppendAsync(actor, "user.login.failed", "user", user.Id, new { address }, cancellationToken);
        }

        return result;
    }
}
