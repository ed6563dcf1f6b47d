using MassTransit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting.Devices;
using RetinaScreen.Hosting;
using RetinaScreen.Hosting.Storage;
using RetinaScreen.Ingest.Associations;
using RetinaScreen.Ingest.DicomWeb;
using RetinaScreen.Ingest.Devices;
using RetinaScreen.Ingest.Quarantine;
using RetinaScreen.Ingest.Queue;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest;

/// <summary>The ingest role, composed by the embedded host or run alone as an ingest worker.</summary>
public static class IngestModule
{
    /// <summary>Transfer syntaxes RetinaScreen stores and can decode for grading, preferred first.</summary>
    private static readonly string[] StoredTransferSyntaxes =
    [
        DicomUids.ExplicitVrLittleEndian,
        DicomUids.ImplicitVrLittleEndian,
        DicomUids.JpegBaseline,
        DicomUids.JpegExtended,
        DicomUids.RleLossless,
        DicomUids.DeflatedExplicitVrLittleEndian,
        DicomUids.ExplicitVrBigEndian,
    ];

    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        var dataPath = builder.Configuration[$"{RetinaScreenOptions.SectionName}:{nameof(RetinaScreenOptions.DataPath)}"] ?? "./data";
        builder.Services.AddOptions<DicomServerOptions>()
            .Bind(builder.Configuration.GetSection($"{RetinaScreenOptions.SectionName}:Dicom"))
            .PostConfigure(options =>
            {
                // Only what ingest can store and grade is negotiated; configuration may narrow it further.
                if (options.AcceptedSopClassUids.Length == 0)
                {
                    options.AcceptedSopClassUids = [.. AcceptedSopClasses.Stored];
                }

                if (options.PreferredTransferSyntaxUids.Length == 0)
                {
                    options.PreferredTransferSyntaxUids = StoredTransferSyntaxes;
                }

                // Arrivals go beside the object store so that moving them in stays on one file system.
                if (string.IsNullOrEmpty(options.TempDirectory))
                {
                    options.TempDirectory = Path.GetFullPath(Path.Combine(dataPath, "tmp"));
                }
            });

        builder.Services.AddOptions<IngestOptions>()
            .Bind(builder.Configuration.GetSection(IngestOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DiskWatermark>();
        builder.Services.AddSingleton<ObjectSizeLimits>();
        builder.Services.AddSingleton<StowAdmission>();
        builder.Services.TryAddSingleton<DeviceDirectory>();
        builder.Services.AddSingleton<DeviceAssociationPolicy>();
        builder.Services.AddSingleton<InstanceIngestor>();
        builder.Services.AddSingleton<CStoreHandler>();
        builder.Services.AddHostedService<DicomListenerService>();
        // A killed ingest can leave an object stored but never recorded; the sweeper removes it after a grace age.
        builder.Services.AddOrphanObjectSweeper();

        // A scheme of its own for machine senders; the portal (when composed) sets the default scheme for users.
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, DeviceTokenAuthenticationHandler>(DeviceTokenAuthenticationHandler.SchemeName, _ => { });
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>The camera queue's consumer and the quarantine releases; hosts add them where they configure the bus.</summary>
    public static IBusRegistrationConfigurator AddIngestConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SubmitDicomInstanceConsumer, SubmitDicomInstanceConsumerDefinition>();
        bus.AddConsumer<QuarantineReleaseConsumer, QuarantineReleaseConsumerDefinition>();
        return bus;
    }

    /// <summary>STOW-RS, for devices only; people and their device administration are served by the portal.</summary>
    public static WebApplication MapIngest(this WebApplication app)
    {
        var devicePolicy = new AuthorizationPolicyBuilder(DeviceTokenAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build();
        var dicomWeb = app.MapGroup("/dicomweb").RequireAuthorization(devicePolicy);
        // One admission for every STOW-RS endpoint: its counts are shared by all requests of this process.
        var stow = dicomWeb.MapGroup("/studies").AddEndpointFilter(app.Services.GetRequiredService<StowAdmission>());
        stow.MapPost("", (HttpContext http, [AsParameters] StoreInstances.Services services) =>
            StoreInstances.HandleAsync(http, null, services));
        stow.MapPost("/{study}", (HttpContext http, string study, [AsParameters] StoreInstances.Services services) =>
            StoreInstances.HandleAsync(http, study, services));
        return app;
    }
}
