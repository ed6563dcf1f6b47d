using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference;

public static class FundusGradingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gradability check (the learned classifier when a card is configured, else the rules), the DR grader
    /// (a singleton: one ONNX Runtime session per process) behind the dynamic batching engine, and the optional shadow
    /// model, bound to the "RetinaScreen:Inference" section. Models are loaded, and their hashes verified, on first use.
    /// </summary>
    public static IServiceCollection AddFundusGrading(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FundusGradingOptions>()
            .Bind(configuration.GetSection(FundusGradingOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ModelCard), "RetinaScreen:Inference:ModelCard must name a model card.")
            .Validate(o => o.IntraOpThreads >= 0, "RetinaScreen:Inference:IntraOpThreads must be 0 (automatic) or more.")
            .Validate(o => o.ConcurrentImages >= 0, "RetinaScreen:Inference:ConcurrentImages must be 0 (automatic) or more.")
            .Validate(o => o.YieldToArrivalsMilliseconds is >= 0 and <= 60_000, "RetinaScreen:Inference:YieldToArrivalsMilliseconds must be 0 to 60000.")
            .Validate(o => o.MaxBatch is >= 1 and <= 256, "RetinaScreen:Inference:MaxBatch must be 1 to 256.")
            .Validate(o => o.MaxBatchWaitMilliseconds is >= 0 and <= 1000, "RetinaScreen:Inference:MaxBatchWaitMilliseconds must be 0 to 1000.")
            .Validate(o => o.ExecutionProvider is "Cpu" or "Cuda", "RetinaScreen:Inference:ExecutionProvider must be Cpu or Cuda.");
        services.TryAddSingleton(GradabilityThresholds.Default);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FundusGradingOptions>>().Value;
            var classifier = string.IsNullOrWhiteSpace(options.GradabilityModelCard)
                ? null
                : new GradabilityClassifier(FundusGradingOptions.Resolve(options.GradabilityModelCard), sp.GetRequiredService<ILogger<GradabilityClassifier>>());
            return new GradabilityAssessor(sp.GetRequiredService<GradabilityThresholds>(), classifier, sp.GetRequiredService<ILogger<GradabilityAssessor>>());
        });
        services.TryAddSingleton<DrGrader>();
        services.TryAddSingleton<DrBatchingEngine>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FundusGradingOptions>>().Value;
            return new ShadowGrader(string.IsNullOrWhiteSpace(options.ShadowModelCard)
                ? null
                : new DrGrader(FundusGradingOptions.Resolve(options.ShadowModelCard), options, sp.GetRequiredService<ILogger<DrGrader>>()));
        });
        return services;
    }
}
