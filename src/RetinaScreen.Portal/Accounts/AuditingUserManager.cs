using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// The one user manager of the portal, so that every change to an account is audited and takes effect on the
/// account's tokens whichever endpoint made it: the product's own (<c>/api/me/password</c>, <c>/api/admin/users</c>)
/// or those of <c>MapIdentityApi</c> (<c>register</c>, <c>manage/info</c>, <c>resetPassword</c>).
/// Rules held here: an account created by someone signed in (an administrator) must change its password at first
/// sign-in; a password change clears that mark; disabling an account ends its sessions.
/// </summary>
internal sealed class AuditingUserManager(
    IUserStore<RetinaScreenUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<RetinaScreenUser> passwordHasher,
    IEnumerable<IUserValidator<RetinaScreenUser>> userValidators,
    IEnumerable<IPasswordValidator<RetinaScreenUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<RetinaScreenUser>> logger,
    IHttpContextAccessor contextAccessor,
    AuditTrail audit,
    AccountAccess access,
    TimeProvider clock)
    : UserManager<RetinaScreenUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    public override async Task<IdentityResult> CreateAsync(RetinaScreenUser user)
    {
        var actor = SignedInActor();
        if (actor is not null)
        {
            // Whoever chose this password is not the user: it is a one-time password.
            user.MustChangePassword = true;
        }

        var result = await base.CreateAsync(user);
        if (result.Succeeded)
        {
            await AuditAsync(actor ?? "system", "user.created", user, new { email = user.Email, user.MustChangePassword });
        }

        return result;
    }

    public override async Task<IdentityResult> ChangePasswordAsync(RetinaScreenUser user, string currentPassword, string newPassword)
    {
        var result = await base.ChangePasswordAsync(user, currentPassword, newPassword);
        if (result.Succeeded)
        {
            if (user.MustChangePassword)
            {
                user.MustChangePassword = false;
                await UpdateAsync(user);
            }

            await AuditAsync(SignedInActor() ?? ActorOf(user), "user.password.changed", user, null);
        }

        return result;
    }

    public override async Task<IdentityResult> ResetPasswordAsync(RetinaScreenUser user, string token, string newPassword)
    {
        var actor = SignedInActor();
        if (actor is null)
        {
            // Through the e-mailed code the holder of the mailbox chose it; an administrator's reset sets the mark itself.
            user.MustChangePassword = false;
        }

        var result = await base.ResetPasswordAsync(user, token, newPassword);
        if (result.Succeeded)
        {
            await AuditAsync(actor ?? ActorOf(user), "user.password.reset", user, new { user.MustChangePassword });
        }

        return result;
    }

    public override async Task<IdentityResult> AddPasswordAsync(RetinaScreenUser user, string password)
    {
        var result = await base.AddPasswordAsync(user, password);
        if (result.Succeeded)
        {
            await AuditAsync(SignedInActor() ?? "system", "user.password.added", user, null);
        }

        return result;
    }

    public override async Task<IdentityResult> RemovePasswordAsync(RetinaScreenUser user)
    {
        var result = await base.RemovePasswordAsync(user);
        if (result.Succeeded)
        {
            await AuditAsync(SignedInActor() ?? "system", "user.password.removed", user, null);
        }

        return result;
    }

    public override async Task<IdentityResult> ChangeEmailAsync(RetinaScreenUser user, string newEmail, string token)
    {
        var previous = user.Email;
        var result = await base.ChangeEmailAsync(user, newEmail, token);
        if (result.Succeeded)
        {
            await AuditAsync(SignedInActor() ?? ActorOf(user), "user.email.changed", user, new { previous, email = newEmail });
        }

        return result;
    }

    /// <summary>A lock-out end in the future disables the account (sign-in failures never set one); null enables it.</summary>
    public override async Task<IdentityResult> SetLockoutEndDateAsync(RetinaScreenUser user, DateTimeOffset? lockoutEnd)
    {
        var disabling = lockoutEnd > clock.GetUtcNow();
        var result = await base.SetLockoutEndDateAsync(user, lockoutEnd);
        if (result.Succeeded)
        {
            if (disabling)
            {
                // Re-enabling must not bring the old tokens back.
                await UpdateSecurityStampAsync(user);
            }

            await AuditAsync(SignedInActor() ?? "system", disabling ? "user.disabled" : "user.enabled", user, null);
        }

        return result;
    }

    public override async Task<IdentityResult> AddToRoleAsync(RetinaScreenUser user, string role) =>
        await AuditRolesAsync(user, await base.AddToRoleAsync(user, role), added: [role], removed: []);

    public override async Task<IdentityResult> AddToRolesAsync(RetinaScreenUser user, IEnumerable<string> roles)
    {
        var list = roles.ToList();
        return await AuditRolesAsync(user, await base.AddToRolesAsync(user, list), added: list, removed: []);
    }

    public override async Task<IdentityResult> RemoveFromRoleAsync(RetinaScreenUser user, string role) =>
        await AuditRolesAsync(user, await base.RemoveFromRoleAsync(user, role), added: [], removed: [role]);

    public override async Task<IdentityResult> RemoveFromRolesAsync(RetinaScreenUser user, IEnumerable<string> roles)
    {
        var list = roles.ToList();
        return await AuditRolesAsync(user, await base.RemoveFromRolesAsync(user, list), added: [], removed: list);
    }

    public override async Task<IdentityResult> DeleteAsync(RetinaScreenUser user)
    {
        var result = await base.DeleteAsync(user);
        if (result.Succeeded)
        {
            access.Forget(user.Id);
            await AuditAsync(SignedInActor() ?? "system", "user.deleted", user, new { email = user.Email });
        }

        return result;
    }

    /// <summary>Every stored change of an account passes here: the next request re-reads the account.</summary>
    protected override async Task<IdentityResult> UpdateUserAsync(RetinaScreenUser user)
    {
        var result = await base.UpdateUserAsync(user);
        access.Forget(user.Id);
        return result;
    }

    private async Task<IdentityResult> AuditRolesAsync(RetinaScreenUser user, IdentityResult result, List<string> added, List<string> removed)
    {
        if (result.Succeeded && (added.Count > 0 || removed.Count > 0))
        {
            access.Forget(user.Id);
            await AuditAsync(SignedInActor() ?? "system", "user.roles.changed", user, new { added, removed });
        }

        return result;
    }

    /// <summary>The signed-in user making the change; null for the system (start-up) and for anonymous flows.</summary>
    private string? SignedInActor() =>
        contextAccessor.HttpContext?.User is { Identity.IsAuthenticated: true } principal ? AuditTrail.ActorOf(principal) : null;

    private static string ActorOf(RetinaScreenUser user) => user.Email ?? user.UserName ?? user.Id;

    // Written even when the caller has gone: the change is made either way.
    private Task AuditAsync(string actor, string action, RetinaScreenUser user, object? details) =>
        audit.TryAppendAsync(actor, action, "user", user.Id, details, CancellationToken.None);
}
