using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using RetinaScreen.Data.Identity;
using RetinaScreen.Hosting.Security;

namespace RetinaScreen.Portal.Accounts;

/// <summary>Adds the must-change-password mark to the token, so the policies can refuse everything else.</summary>
internal sealed class PortalClaimsPrincipalFactory(
    UserManager<RetinaScreenUser> userManager,
    RoleManager<IdentityRole> roleManager,
    IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<RetinaScreenUser, IdentityRole>(userManager, roleManager, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(RetinaScreenUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(AccessPolicies.MustChangePasswordClaim, "true"));
        }

        return identity;
    }
}
