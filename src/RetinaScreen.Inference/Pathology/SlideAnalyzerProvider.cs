using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// Holds the process's one metastasis session, made (and its model verified) on first use: every ImageReceived reaches the
/// slide consumer, and a fundus photograph must not need the metastasis model to be present.
/// </summary>
public sealed class SlideAnalyzerProvider : IDisposable
{
    private readonly Lazy<SlideAnalyzer> _analyzer;

    public SlideAnalyzerProvider(IOptions<PathologyOptions> options, ILogger<MetastasisDetector> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Value;
        _analyzer = new Lazy<SlideAnalyzer>(
            () => new SlideAnalyzer(new MetastasisDetector(PathologyOptions.Resolve(Options.ModelCard), Options, logger), Options),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public PathologyOptions Options { get; }

    public string CardPath => PathologyOptions.Resolve(Options.ModelCard);

    /// <summary>The analyzer; the first call loads the model and refuses a file whose hash differs from its card's.</summary>
    public SlideAnalyzer Analyzer => _analyzer.Value;

    public void Dispose()
    {
        if (_analyzer.IsValueCreated)
        {
            _analyzer.Value.Detector.Dispose();
        }
    }
}
