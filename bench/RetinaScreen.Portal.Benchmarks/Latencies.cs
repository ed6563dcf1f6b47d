using System.Diagnostics;

namespace RetinaScreen.Portal.Benchmarks;

/// <summary>Latencies of one measured request kind, each timed to the last byte of a successful answer.</summary>
internal sealed record Latencies(IReadOnlyList<double> Milliseconds)
{
    public int Count => Milliseconds.Count;
    public double P50 => Percentile(0.50);
    public double P95 => Percentile(0.95);
    public double Max => Milliseconds.Max();

    /// <summary>
    /// Runs <paramref name="count"/> requests one after another (a reader waits for each), after
    /// <paramref name="warmup"/> unmeasured ones (JIT, EF's compiled queries, connection pools).
    /// </summary>
    public static async Task<Latencies> MeasureAsync(int count, Func<Task<HttpResponseMessage>> request, int warmup = 0)
    {
        for (var i = 0; i < warmup; i++)
        {
            using var response = await request();
        }

        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await request();
            var body = await response.Content.ReadAsByteArrayAsync();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
            }
        }

        return new Latencies(latencies);
    }

    /// <summary>Nearest-rank percentile.</summary>
    private double Percentile(double p)
    {
        var sorted = Milliseconds.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
