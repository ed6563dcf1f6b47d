using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference.Engine;

/// <summary>
/// Dynamic batching in front of one <see cref="DrGrader"/>: concurrent callers (the consumer's parallel messages)
/// preprocess their own photograph, then queue it; one loop takes the first waiting image, lets others join for at
/// most <see cref="FundusGradingOptions.MaxBatchWaitMilliseconds"/> or until <see cref="FundusGradingOptions.MaxBatch"/>
/// are there, and grades them in one model run. A lone image waits at most the wait time; under load the batches fill.
/// </summary>
public sealed partial class DrBatchingEngine : IAsyncDisposable, IDisposable
{
    private readonly DrGrader _grader;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeSpan _maxWait;
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public DrBatchingEngine(DrGrader grader, IOptions<FundusGradingOptions> options, ILogger<DrBatchingEngine> logger)
        : this(grader, options.Value, logger)
    {
    }

    public DrBatchingEngine(DrGrader grader, FundusGradingOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grader = grader ?? throw new ArgumentNullException(nameof(grader));
        _maxBatch = Math.Clamp(options.MaxBatch, 1, grader.MaxBatch);
        _maxWait = TimeSpan.FromMilliseconds(Math.Max(0, options.MaxBatchWaitMilliseconds));
        _logger = logger ?? NullLogger.Instance;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public DrGrader Grader => _grader;

    /// <summary>Batches run so far and images graded in them (for the benchmark and tests).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public long Images => Interlocked.Read(ref _images);

    private long _batches;
    private long _images;

    public async Task<DrGrading> GradeAsync(RgbFrame frame, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var started = Stopwatch.GetTimestamp();
        var sample = ArrayPool<float>.Shared.Rent(_grader.SampleLength);
        Pending pending;
        try
        {
            var crop = _grader.Preprocess(frame, sample.AsSpan(0, _grader.SampleLength));
            pending = new Pending(sample, crop, Stopwatch.GetElapsedTime(started));
        }
        catch
        {
            ArrayPool<float>.Shared.Return(sample);
            throw;
        }

        if (!_queue.Writer.TryWrite(pending))
        {
            ArrayPool<float>.Shared.Return(sample);
            throw new ObjectDisposedException(nameof(DrBatchingEngine));
        }

        // From here the loop owns the buffer and returns it to the pool once the batch has copied it, so a caller
        // that gives up (cancellation) cannot hand it to someone else while it is still being read.
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            if (!reader.TryRead(out var first))
            {
                continue;
            }

            batch.Add(first);
            var deadline = Stopwatch.GetTimestamp() + (long)(_maxWait.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < _maxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                var remaining = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                using var timeout = new CancellationTokenSource(remaining);
                try
                {
                    if (!await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            Run(batch);
        }
    }

    private void Run(List<Pending> batch)
    {
        try
        {
            var samples = new ReadOnlyMemory<float>[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                samples[i] = batch[i].Sample.AsMemory(0, _grader.SampleLength);
            }

            var results = _grader.GradePrepared(samples);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _images, batch.Count);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                LogBatch(_logger, batch.Count);
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i] with { Preprocess = batch[i].Preprocess, Crop = batch[i].Crop });
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One failed run fails the images in it, not the loop: the next batch gets a fresh chance.
            LogBatchFailed(_logger, batch.Count, e);
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(e);
            }
        }
        finally
        {
            foreach (var pending in batch)
            {
                ArrayPool<float>.Shared.Return(pending.Sample);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.GetAwaiter().GetResult();
    }

    private sealed record Pending(float[] Sample, RgbFrame Crop, TimeSpan Preprocess)
    {
        public TaskCompletionSource<DrGrading> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 2040, Level = LogLevel.Debug, Message = "Graded a batch of {BatchSize}")]
    private static partial void LogBatch(ILogger logger, int batchSize);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Error, Message = "A batch of {BatchSize} failed")]
    private static partial void LogBatchFailed(ILogger logger, int batchSize, Exception exception);
}
