using System.Collections.Concurrent;
using System.Diagnostics;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Heatmaps;

namespace RetinaScreen.Inference.Benchmarks;

/// <summary>
/// The DR pipeline as the screening worker runs it, over a long stream of photographs: <c>callers</c> concurrent
/// callers (the consumer's parallel messages) each decode a stored photograph, preprocess it and queue it into the
/// product's <see cref="DrBatchingEngine"/> (<see cref="DrBatchingEngine.GradeAsync"/>), which gathers up to
/// <c>batch</c> of them into one model run; each caller then draws and encodes its heatmap PNG and takes the next
/// photograph. With more callers than one batch holds, the next batch's decode and preprocess and the last batch's
/// heatmaps run while the model runs, as in the worker. It is <see cref="FundusPhotographGrader.GradeAsync"/> without
/// the gradability check, which is not part of the DR model's pipeline (the benchmark measures it separately).
/// </summary>
internal static class DrPipelineStream
{
    public static StreamMeasurement Run(DrGrader grader, IReadOnlyList<string> files, int batch, int callers, TimeSpan minDuration, TimeSpan maxDuration)
    {
        // The product's engine with the product's batch wait; only the largest batch varies.
        var options = new FundusGradingOptions { MaxBatch = batch };
        using var engine = new DrBatchingEngine(grader, options);

        // Warm-up: the stream runs until a few batches' worth of photographs have come out (JIT, ONNX Runtime's
        // first runs, pools, the engine's queue filled to its steady state); the window starts at that completion.
        var warmupImages = 3 * batch + callers;
        var minImages = 10L * batch;
        var completions = new ConcurrentQueue<(long Finished, double LatencyMs)>();
        var completed = 0L;
        var stop = 0;

        async Task Caller(int first)
        {
            for (var n = first; Volatile.Read(ref stop) == 0; n += callers)
            {
                var started = Stopwatch.GetTimestamp();
                var frame = FundusPhotographGrader.Decode(files[n % files.Count]);
                var graded = await engine.GradeAsync(frame).ConfigureAwait(false);
                if (graded.Cam is { } cam)
                {
                    HeatmapOverlay.RenderPng(graded.Crop!, cam, graded.CamSize);
                }

                var finished = Stopwatch.GetTimestamp();
                completions.Enqueue((finished, Stopwatch.GetElapsedTime(started, finished).TotalMilliseconds));
                Interlocked.Increment(ref completed);
            }
        }

        var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(() => Caller(c))).ToArray();

        // The window opens when the warm-up count has come out and closes once it holds at least ten batches and the
        // minimum duration (or the maximum duration has passed); the photographs still in flight then drain uncounted.
        long windowStart = 0, completedAtStart = 0, batchesAtStart = 0, imagesAtStart = 0;
        long windowEnd;
        while (true)
        {
            Thread.Sleep(5);
            var now = Stopwatch.GetTimestamp();
            var done = Interlocked.Read(ref completed);
            if (windowStart == 0)
            {
                if (done >= warmupImages)
                {
                    windowStart = now;
                    completedAtStart = done;
                    batchesAtStart = engine.Batches;
                    imagesAtStart = engine.Images;
                }

                continue;
            }

            var elapsed = Stopwatch.GetElapsedTime(windowStart, now);
            if ((done - completedAtStart >= minImages && elapsed >= minDuration) || elapsed >= maxDuration)
            {
                windowEnd = now;
                break;
            }
        }

        var batches = engine.Batches - batchesAtStart;
        var images = engine.Images - imagesAtStart;
        Volatile.Write(ref stop, 1);
        Task.WaitAll(tasks);

        var window = completions.Where(c => c.Finished > windowStart && c.Finished <= windowEnd).ToArray();
        return new StreamMeasurement(batch, callers, window.Length, Stopwatch.GetElapsedTime(windowStart, windowEnd).TotalSeconds,
            [.. window.Select(c => c.LatencyMs)], batches > 0 ? images / (double)batches : 0);
    }
}

/// <summary>A stream's steady-state window: photographs completed in it, its length, each photograph's latency (decode
/// started to heatmap PNG done, queueing included) and the engine's mean batch size while it lasted.</summary>
internal sealed record StreamMeasurement(int Batch, int Callers, int Images, double Seconds, IReadOnlyList<double> LatenciesMs, double MeanBatch)
{
    public double ImagesPerSecond => Images / Seconds;
    public double P50 => Measurement.Percentile(LatenciesMs, 0.50);
    public double P99 => Measurement.Percentile(LatenciesMs, 0.99);
}
