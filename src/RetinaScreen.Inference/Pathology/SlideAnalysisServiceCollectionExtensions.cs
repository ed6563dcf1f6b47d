using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RetinaScreen.Inference.Pathology;

public static class SlideAnalysisServiceCollectionExtensions
{
    /// <summary>
    /// Registers whole-slide metastasis detection bound to the "RetinaScreen:Pathology" section: the model (one ONNX
    /// Runtime session per process, verified against its card on first use or at start) and the slide analyzer.
    /// </summary>
    public static IServiceCollection AddSlideAnalysis(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PathologyOptions>()
            .Bind(configuration.GetSection(PathologyOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ModelCard), "RetinaScreen:Pathology:ModelCard must name a model card.")
            .Validate(o => o.MaxBatch is >= 1 and <= 1024, "RetinaScreen:Pathology:MaxBatch must be 1 to 1024.")
            .Validate(o => o.ProgressIntervalMilliseconds >= 0, "RetinaScreen:Pathology:ProgressIntervalMilliseconds must be 0 or more.")
            .Validate(o => o.TopRegions is >= 0 and <= 50, "RetinaScreen:Pathology:TopRegions must be 0 to 50 (they are stored as JSON of at most 4 KiB).")
            .Validate(o => o.HeatmapMaxSide is >= 64 and <= 8192, "RetinaScreen:Pathology:HeatmapMaxSide must be 64 to 8192.")
            .Validate(o => o.IntraOpThreads >= 0, "RetinaScreen:Pathology:IntraOpThreads must be 0 (automatic) or more.")
            .Validate(o => o.ExecutionProvider is "Cpu" or "Cuda", "RetinaScreen:Pathology:ExecutionProvider must be Cpu or Cuda.");
        services.TryAddSingleton<SlideAnalyzerProvider>();
        services.AddHostedService<MetastasisModelWarmup>();
        return services;
    }
}
