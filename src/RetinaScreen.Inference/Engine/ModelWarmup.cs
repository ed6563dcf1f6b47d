using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Inference.Engine;

/// <summary>
/// Loads and verifies every configured model when the worker starts, and runs each once: a tampered model stops the
/// worker at start rather than at the first photograph, and the first camera of the day gets its gradability verdict
/// in milliseconds, not after model loading and JIT compilation.
/// </summary>
internal sealed partial class ModelWarmup(FundusPhotographGrader grader, ILogger<ModelWarmup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        grader.Warm(SyntheticField(512));
        var elapsed = Stopwatch.GetElapsedTime(started);
        LogWarmed(logger, elapsed.TotalMilliseconds);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A plain reddish disc on black: enough for every stage to run (it is gradable-looking, so the DR model runs too).</summary>
    private static RgbFrame SyntheticField(int size)
    {
        var pixels = new byte[size * size * 3];
        var r = size * 0.45;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var dx = x - size / 2.0;
                var dy = y - size / 2.0;
                if (dx * dx + dy * dy > r * r)
                {
                    continue;
                }

                var i = (y * size + x) * 3;
                pixels[i] = (byte)(150 + (x * 7 + y * 13) % 40);
                pixels[i + 1] = (byte)(60 + (x * 11 + y * 5) % 25);
                pixels[i + 2] = 25;
            }
        }

        return new RgbFrame(size, size, pixels);
    }

    [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "Models loaded, verified and warmed in {ElapsedMs:F0} ms")]
    private static partial void LogWarmed(ILogger logger, double elapsedMs);
}
