using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting;
using RetinaScreen.Ingest.Associations;
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
                    options.AcceptedSopClassUids = [.. AcceptedSopClasses.Fundus];
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

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<InstanceIngestor>();
        builder.Services.AddSingleton<CStoreHandler>();
        builder.Services.AddHostedService<DicomListenerService>();
        return builder;
    }
}
