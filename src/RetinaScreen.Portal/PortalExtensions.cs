using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
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

        services.AddIdentityApiEndpoints<RetinaScreenUser>(ConfigureIdentity)
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<RetinaScreenDbContext>()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>()
            .AddSignInManager<AuditingSignInManager>();

        // Tokens are protected by these keys: kept in the database they survive restarts and verify on every replica.
        services.AddDataProtection()
            .SetApplicationName("RetinaScreen")
            .PersistKeysToDbContext<RetinaScreenDbContext>();

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

        app.MapGroup("/api/auth")
            .MapIdentityApi<RetinaScreenUser>()
            .Add(RestrictIdentityEndpoints);

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

        options.Lockout.AllowedForNewUsers = true;
        options.Lockout.MaxFailedAccessAttempts = 5;
        options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
    }

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
