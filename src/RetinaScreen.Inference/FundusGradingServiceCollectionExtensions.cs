using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference;

public static class FundusGradingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gradability check and the DR grader (a singleton: one ONNX Runtime session per process), bound to
    /// the "RetinaScreen:Inference" section (ModelCard, IntraOpThreads). The model is loaded, and its hash verified,
    /// on first use.
    /// </summary>
    public static IServiceCollection AddFundusGrading(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FundusGradingOptions>()
            .Bind(configuration.GetSection(FundusGradingOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ModelCard), "RetinaScreen:Inference:ModelCard must name a model card.")
            .Validate(o => o.IntraOpThreads >= 0, "RetinaScreen:Inference:IntraOpThreads must be 0 (automatic) or more.");
        services.TryAddSingleton(GradabilityThresholds.Default);
        services.TryAddSingleton<GradabilityAssessor>();
        services.TryAddSingleton<DrGrader>();
        return services;
    }
}
