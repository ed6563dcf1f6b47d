using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// Loads and verifies the metastasis model when the worker starts: a tampered model stops the worker at start rather than
/// at the first slide. A deployment without the model (its card absent) still grades photographs; it says so once.
/// </summary>
internal sealed partial class MetastasisModelWarmup(SlideAnalyzerProvider provider, ILogger<MetastasisModelWarmup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(provider.CardPath))
        {
            LogModelAbsent(logger, provider.CardPath);
            return Task.CompletedTask;
        }

        var detector = provider.Analyzer.Detector;
        using var batch = detector.RentBatch();
        var glass = new byte[detector.PatchSize * detector.PatchSize * 3];
        batch.Add(glass, detector.PatchSize * 3, 0, 0);
        detector.Score(batch);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2410, Level = LogLevel.Warning, Message = "No metastasis model card at {CardPath}: whole slides will be stored but cannot be analysed")]
    private static partial void LogModelAbsent(ILogger logger, string cardPath);
}
