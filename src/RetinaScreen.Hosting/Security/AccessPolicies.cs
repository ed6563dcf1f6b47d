using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Hosting.Security;

/// <summary>
/// Every authorisation policy of the HTTP API, by name. Endpoints name a policy here and never build their own, so
/// who may read what is decided in this one place. Every policy requires a signed-in user whose password is settled:
/// a user who must still change a generated password can do nothing else. Anything not naming a policy still needs a
/// signed-in user (the fallback policy).
/// </summary>
public static class AccessPolicies
{
    /// <summary>Screenings and studies: every reading role and administrators.</summary>
    public const string CanReadScreenings = nameof(CanReadScreenings);

    /// <summary>Fundus photographs' model output (heatmaps): graders and adjudicators.</summary>
    public const string CanReadFundus = nameof(CanReadFundus);

    /// <summary>Settling readings that disagree: adjudicators.</summary>
    public const string CanAdjudicate = nameof(CanAdjudicate);

    /// <summary>Whole slides' analyses: pathologists.</summary>
    public const string CanReadSlides = nameof(CanReadSlides);

    /// <summary>Cases and their images and tiles: every reading role, and administrators (read-only audit).</summary>
    public const string CanReadCases = nameof(CanReadCases);

    /// <summary>User, device and operations administration.</summary>
    public const string AdminOnly = nameof(AdminOnly);

    /// <summary>Carried in the token of a user who must change a generated password before doing anything else.</summary>
    public const string MustChangePasswordClaim = "retinascreen:must_change_password";

    /// <summary>Registers the policies above and the fallback policy; every host that serves users calls it.</summary>
    public static IServiceCollection AddRetinaScreenAuthorization(this IServiceCollection services)
    {
        services.AddAuthorization(Configure);
        return services;
    }

    private static void Configure(AuthorizationOptions options)
    {
        // Nothing is open by accident: an endpoint without its own policy still needs a signed-in user.
        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();

        Add(options, CanReadScreenings, Roles.Grader, Roles.Adjudicator, Roles.Pathologist, Roles.Admin);
        Add(options, CanReadFundus, Roles.Grader, Roles.Adjudicator);
        Add(options, CanAdjudicate, Roles.Adjudicator);
        Add(options, CanReadSlides, Roles.Pathologist);
        Add(options, CanReadCases, Roles.Grader, Roles.Adjudicator, Roles.Pathologist, Roles.Admin);
        Add(options, AdminOnly, Roles.Admin);
    }

    private static void Add(AuthorizationOptions options, string name, params string[] roles) =>
        options.AddPolicy(name, policy => policy
            .RequireAuthenticatedUser()
            .RequireRole(roles)
            .RequireAssertion(PasswordIsSettled));

    private static bool PasswordIsSettled(AuthorizationHandlerContext context) =>
        !context.User.HasClaim(MustChangePasswordClaim, "true");
}
