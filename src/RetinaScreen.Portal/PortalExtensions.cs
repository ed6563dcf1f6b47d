using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Data;
using RetinaScreen.Data.Identity;
using RetinaScreen.Hosting.Security;
using Microsoft.Extensions.Options;
using RetinaScreen.Hosting.Devices;
using RetinaScreen.Portal.Accounts;
using RetinaScreen.Portal.Devices;
using RetinaScreen.Portal.Images;
using RetinaScreen.Portal.Quarantine;
using RetinaScreen.Portal.ReadingRoom;
using RetinaScreen.Portal.Shell;
using RetinaScreen.Portal.Slides;
using RetinaScreen.Portal.Studies;
using RetinaScreen.Portal.Worklist;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal;

/// <summary>The portal role: login, the REST API under <c>/api</c>, OpenAPI and the graders' pages.</summary>
public static class PortalExtensions
{
    /// <summary>Registers identity, authorisation, problem details, OpenAPI and the first-administrator bootstrap.</summary>
    /// <remarks>Needs <c>AddRetinaScreenData</c> (the user store is the RetinaScreen database) and an
    /// <c>IObjectStore</c> (images and slide tiles are read from the stored objects).</remarks>
    public static IHostApplicationBuilder AddPortal(this IHostApplicationBuilder builder)
    {
        builder.AddScreening();
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        // Enumerations travel by name ("Refer", "Micrometastasis"), as the API documents them.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddOpenApi();

        services.AddTransient<IStartupFilter, ApiResponsesAreNotStored>();

        services.AddOptions<LoginOptions>()
            .BindConfiguration(LoginOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpContextAccessor();
        services.AddMemoryCache();
        services.AddIdentityApiEndpoints<RetinaScreenUser>(ConfigureIdentity)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<RetinaScreenDbContext>()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>()
            .AddUserManager<AuditingUserManager>()
            .AddSignInManager<AuditingSignInManager>();
        services.AddOptions<BearerTokenOptions>(IdentityConstants.BearerScheme)
            .Configure<IOptions<LoginOptions>>((bearer, signIn) =>
            {
                bearer.BearerTokenExpiration = signIn.Value.AccessTokenLifetime;
                bearer.RefreshTokenExpiration = signIn.Value.RefreshTokenLifetime;
                bearer.Events.OnMessageReceived = AccountAccess.CheckBearerAsync;
            });
        services.ConfigureApplicationCookie(cookie => cookie.Events.OnValidatePrincipal = AccountAccess.CheckCookieAsync);
        services.AddSingleton<AccountAccess>();
        services.AddSingleton<SignInThrottle>();
        SignInThrottle.AddTo(services);

        // Tokens are sealed by these keys: kept in the database they survive restarts and verify on every replica,
        // encrypted to a certificate kept outside it.
        var keyProtection = builder.Configuration.GetSection(KeyProtectionOptions.SectionName).Get<KeyProtectionOptions>() ?? new KeyProtectionOptions();
        SignInKeyProtection.AddTo(services, keyProtection, builder.Configuration[RetinaScreenDataExtensions.DataPathKey] ?? "./data");

        services.AddRetinaScreenAuthorization();

        services.AddScoped<AuditTrail>();
        // Device administration changes what ingest's directory holds; this process drops its snapshot at once.
        services.TryAddSingleton<DeviceDirectory>();

        services.AddOptions<ImagingOptions>()
            .BindConfiguration(ImagingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<StoredInstanceFiles>();
        services.AddSingleton<SlideAccessWindow>();
        services.AddSingleton(sp => new SlidePyramid(
            sp.GetRequiredService<IDbContextFactory<RetinaScreenDbContext>>(),
            sp.GetRequiredService<StoredInstanceFiles>(),
            sp.GetRequiredService<IOptions<ImagingOptions>>()));
        services.AddHostedService<BootstrapAdministrator>();
        return builder;
    }

    /// <summary>Maps <c>/api/auth</c> (login), the API, <c>/openapi/v1.json</c> and the pages at <c>/</c> and <c>/portal/</c>.</summary>
    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.UseRateLimiter();

        var throttle = app.Services.GetRequiredService<SignInThrottle>();
        app.MapGroup("/api/auth")
            .MapIdentityApi<RetinaScreenUser>()
            .Add(endpoint =>
            {
                RestrictIdentityEndpoints(endpoint);
                ThrottleSignIn(endpoint, throttle);
            });
        SignOut.Map(app);

        var api = app.MapGroup("/api").RequireAuthorization();
        GetMe.Map(api);
        ChangePassword.Map(api);
        GetStudy.Map(api);
        ListScreenings.Map(api);
        GetWorklist.Map(api);
        GetCase.Map(api);
        CaseEndpoints.Map(api);
        GetInstanceImage.Map(api);
        GetPredictionHeatmap.Map(api);
        GetSlideAnalysis.Map(api);
        GetSlideTile.Map(api);

        var admin = api.MapGroup("/admin").RequireAuthorization(AccessPolicies.AdminOnly);
        CreateUser.Map(admin);
        ListUsers.Map(admin);
        DisableUser.Map(admin);
        SetUserRoles.Map(admin);
        ResetUserPassword.Map(admin);

        var devices = admin.MapGroup("/devices");
        devices.MapGet("/", ListDevices.HandleAsync);
        devices.MapGet("/{id:long}", ListDevices.HandleOneAsync);
        devices.MapPost("/", RegisterDevice.HandleAsync);
        devices.MapPatch("/{id:long}", UpdateDevice.HandleAsync).Accepts<UpdateDevice.Request>("application/json", "application/merge-patch+json");
        devices.MapPost("/{id:long}/token", RotateDeviceToken.HandleAsync);

        QuarantineEndpoints.Map(admin);

        app.MapOpenApi();
        PortalShell.Map(app);
        return app;
    }

    private static void ConfigureIdentity(IdentityOptions options)
    {
        options.User.RequireUniqueEmail = true;
        options.SignIn.RequireConfirmedAccount = false;

        options.Password.RequiredLength = 12;
        options.Password.RequiredUniqueChars = 6;
        options.Password.RequireDigit = true;
        options.Password.RequireLowercase = true;
        options.Password.RequireUppercase = true;
        options.Password.RequireNonAlphanumeric = true;

        // Lock-out is how an administrator disables an account (SignInThrottle limits failed passwords per source
        // instead, so that strangers cannot lock anyone out); every account can be disabled.
        options.Lockout.AllowedForNewUsers = true;
    }

    /// <summary>
    /// The anonymous credential exchanges get the per-address rate limit; login also gets the per-account-and-source
    /// budget of failures and the single answer to every failure.
    /// </summary>
    private static void ThrottleSignIn(EndpointBuilder endpoint, SignInThrottle throttle)
    {
        var route = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? "";
        if (AnonymousRoutes.Any(anonymous => route.EndsWith(anonymous, StringComparison.Ordinal)))
        {
            endpoint.Metadata.Add(new EnableRateLimitingAttribute(SignInThrottle.AddressPolicy));
        }

        if (route.EndsWith("/login", StringComparison.Ordinal))
        {
            endpoint.FilterFactories.Add((_, next) => invocation => throttle.FilterLoginAsync(invocation, next));
        }
    }

    /// <summary>The <c>MapIdentityApi</c> endpoints that take requests without a signed-in user.</summary>
    private static readonly string[] AnonymousRoutes = ["/login", "/refresh", "/forgotPassword", "/resetPassword", "/confirmEmail", "/resendConfirmationEmail"];

    /// <summary>
    /// <c>MapIdentityApi</c> maps its endpoints without authorisation metadata, so the fallback policy closes them all;
    /// login and refresh (the refresh token is the credential) are opened, and registration is reserved to
    /// administrators — users are created through <c>POST /api/admin/users</c>.
    /// </summary>
    private static void RestrictIdentityEndpoints(EndpointBuilder endpoint)
    {
        var route = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? "";
        if (route.EndsWith("/login", StringComparison.Ordinal) || route.EndsWith("/refresh", StringComparison.Ordinal))
        {
            endpoint.Metadata.Add(new AllowAnonymousAttribute());
        }
        else if (route.EndsWith("/register", StringComparison.Ordinal))
        {
            endpoint.Metadata.Add(new AuthorizeAttribute(AccessPolicies.AdminOnly));
        }
    }
}
