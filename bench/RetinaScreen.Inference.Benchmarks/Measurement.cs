using System.Diagnostics;

namespace RetinaScreen.Inference.Benchmarks;

/// <summary>
/// One measured operation: warm-up runs first (JIT, ONNX Runtime's first-run allocations, caches), then timed runs
/// until both a minimum count and a minimum duration are reached; every run's latency is kept for percentiles.
/// </summary>
internal sealed record Measurement(string Name, int Batch, IReadOnlyList<double> LatenciesMs, double TotalSeconds)
{
    public double ImagesPerSecond => Batch * LatenciesMs.Count / TotalSeconds;
    public double P50 => Percentile(LatenciesMs, 0.50);
    public double P99 => Percentile(LatenciesMs, 0.99);

    public static Measurement Run(string name, int batch, Action operation, int warmup, int minRuns, TimeSpan minDuration, TimeSpan maxDuration)
    {
        for (var i = 0; i < warmup; i++)
        {
            operation();
        }

        var latencies = new List<double>();
        var total = Stopwatch.StartNew();
        while ((latencies.Count < minRuns || total.Elapsed < minDuration) && total.Elapsed < maxDuration)
        {
            var started = Stopwatch.GetTimestamp();
            operation();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Measurement(name, batch, latencies, total.Elapsed.TotalSeconds);
    }

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(IReadOnlyList<double> latenciesMs, double p)
    {
        var sorted = latenciesMs.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank];
    }
}
