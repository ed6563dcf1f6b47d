using Microsoft.AspNetCore.Authorization;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <summary>Authorisation policies of the API. Anything not named here still needs a signed-in user (fallback policy).</summary>
public static class PortalPolicies
{
    public const string CanReadScreenings = nameof(CanReadScreenings);
    public const string AdminOnly = nameof(AdminOnly);

    /// <summary>Carried in the token of a user who must change a generated password before doing anything else.</summary>
    public const string MustChangePasswordClaim = "retinascreen:must_change_password";

    internal static void Configure(AuthorizationOptions options)
    {
        // Nothing is open by accident: an endpoint without its own policy still needs a signed-in user.
        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();

        options.AddPolicy(CanReadScreenings, policy => policy
            .RequireAuthenticatedUser()
            .RequireRole(Roles.Grader, Roles.Adjudicator, Roles.Pathologist, Roles.Admin)
            .RequireAssertion(PasswordIsSettled));
        options.AddPolicy(AdminOnly, policy => policy
            .RequireAuthenticatedUser()
            .RequireRole(Roles.Admin)
            .RequireAssertion(PasswordIsSettled));
    }

    private static bool PasswordIsSettled(AuthorizationHandlerContext context) =>
        !context.User.HasClaim(MustChangePasswordClaim, "true");
}
