using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Grading;

/// <summary>
/// Grades diabetic retinopathy with an ONNX model that meets the DR contract (see its card). One instance (one
/// <see cref="InferenceSession"/>) per model per process: Run is thread-safe. Input and output tensors live in pinned
/// buffers that are reused, with their <see cref="OrtValue"/>s, from run to run, so a batch allocates nothing big.
/// </summary>
public sealed partial class DrGrader : IDisposable
{
    public const string CamOutputName = "referable_dr_cam";
    private static readonly string[] BaseOutputNames = ["grade_probs", "referable_dr", "referable_dme"];

    private readonly InferenceSession _session;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<RunBuffers> _buffers = [];
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly int _inputSize;

    public DrGrader(IOptions<FundusGradingOptions> options, ILogger<DrGrader> logger)
        : this(options.Value, logger)
    {
    }

    public DrGrader(FundusGradingOptions options, ILogger<DrGrader>? logger = null)
        : this(options?.ResolveModelCardPath() ?? throw new ArgumentNullException(nameof(options)), options, logger)
    {
    }

    /// <summary>Loads the model of <paramref name="cardPath"/> (a shadow candidate, a model under validation).</summary>
    public DrGrader(string cardPath, FundusGradingOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger ?? NullLogger.Instance;
        try
        {
            Model = VerifiedModel.Load(cardPath);
        }
        catch (ModelIntegrityException e)
        {
            LogModelRejected(_logger, e.ModelPath ?? cardPath, e.ExpectedSha256 ?? "", e.ActualSha256 ?? "");
            throw;
        }

        var input = Model.Card.Input;
        _inputSize = input.Shape[3];
        if (input.Shape[1] != 3 || input.Shape[2] != _inputSize)
        {
            throw new InvalidDataException($"Model card {cardPath} declares input {string.Join('x', input.Shape)}; expected N×3×S×S.");
        }

        _mean = [.. input.Mean];
        _std = [.. input.Std];
        _inputNames = [input.Name];
        MaxBatch = Math.Max(1, options.MaxBatch);
        var (sessionOptions, provider) = ExecutionProviders.CreateSessionOptions(options.ExecutionProvider, options.IntraOpThreads, _logger, Model.Card.Name);
        using (sessionOptions)
        {
            _session = new InferenceSession(Model.Bytes, sessionOptions);
        }

        ExecutionProvider = provider;
        if (_session.OutputMetadata.TryGetValue(CamOutputName, out var cam))
        {
            CamSize = cam.Dimensions[^1];
            _outputNames = [.. BaseOutputNames, CamOutputName];
        }
        else
        {
            _outputNames = BaseOutputNames;
        }

        LogModelLoaded(_logger, Model.Card.Name, Model.Card.Version, Model.Sha256, provider);
    }

    /// <summary>The verified model, for audit records: card (name, version, thresholds) and SHA-256.</summary>
    public VerifiedModel Model { get; }

    public ModelCard Card => Model.Card;

    /// <summary>"Cuda" or "Cpu": the execution provider the session actually uses.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Side of the class activation map, 0 when the model has no CAM output.</summary>
    public int CamSize { get; }

    /// <summary>The largest batch one run takes; bigger requests are split.</summary>
    public int MaxBatch { get; }

    public int InputSize => _inputSize;

    public DrGrading Grade(RgbFrame frame) => GradeBatch([frame])[0];

    /// <summary>Grades several photographs in as few model runs as <see cref="MaxBatch"/> allows; results are in input order.</summary>
    public IReadOnlyList<DrGrading> GradeBatch(IReadOnlyList<RgbFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var results = new DrGrading[frames.Count];
        for (var start = 0; start < frames.Count; start += MaxBatch)
        {
            var count = Math.Min(MaxBatch, frames.Count - start);
            var offset = start;
            GradeChunk(count, offset, results, (i, slot) => Preprocess(frames[offset + i], slot));
        }

        return results;
    }

    /// <summary>Size of one image's input tensor (3·S·S floats).</summary>
    public int SampleLength => 3 * _inputSize * _inputSize;

    /// <summary>Crops and normalises one photograph into <paramref name="destination"/> (<see cref="SampleLength"/> floats):
    /// the part of the work that callers do in parallel before their images join a batch.</summary>
    /// <returns>The crop, kept for the heatmap overlay.</returns>
    public RgbFrame Preprocess(RgbFrame frame, Span<float> destination)
    {
        var crop = FundusPreprocessor.Crop(frame, _inputSize);
        FundusPreprocessor.Normalise(crop, _mean, _std, destination);
        return crop;
    }

    /// <summary>Grades images that <see cref="Preprocess"/> already prepared, in runs of at most <see cref="MaxBatch"/>.</summary>
    public IReadOnlyList<DrGrading> GradePrepared(IReadOnlyList<ReadOnlyMemory<float>> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var results = new DrGrading[samples.Count];
        for (var start = 0; start < samples.Count; start += MaxBatch)
        {
            var count = Math.Min(MaxBatch, samples.Count - start);
            var offset = start;
            GradeChunk(count, offset, results, (i, slot) =>
            {
                samples[offset + i].Span.CopyTo(slot);
                return null;
            });
        }

        return results;
    }

    /// <summary>Normalises already-cropped <paramref name="crops"/> into a tensor the model takes (benchmarks, tests).</summary>
    public float[] Prepare(IReadOnlyList<RgbFrame> crops)
    {
        ArgumentNullException.ThrowIfNull(crops);
        var sample = 3 * _inputSize * _inputSize;
        var tensor = new float[sample * crops.Count];
        for (var i = 0; i < crops.Count; i++)
        {
            FundusPreprocessor.Normalise(crops[i], _mean, _std, tensor.AsSpan(i * sample, sample));
        }

        return tensor;
    }

    private delegate RgbFrame? Fill(int index, Span<float> slot);

    private void GradeChunk(int count, int start, DrGrading[] results, Fill fill)
    {
        var started = Stopwatch.GetTimestamp();
        var sample = 3 * _inputSize * _inputSize;
        var buffers = Rent();
        try
        {
            var crops = new RgbFrame?[count];
            for (var i = 0; i < count; i++)
            {
                crops[i] = fill(i, buffers.Input.AsSpan(i * sample, sample));
            }

            var preprocess = Stopwatch.GetElapsedTime(started);
            var inferenceStarted = Stopwatch.GetTimestamp();
            var (input, outputs) = buffers.ValuesFor(count);
            using (var runOptions = new RunOptions())
            {
                _session.Run(runOptions, _inputNames, [input], _outputNames, outputs);
            }

            var inference = Stopwatch.GetElapsedTime(inferenceStarted);
            var drThreshold = Card.OperatingPoints.ReferableDr.Threshold;
            var dmeThreshold = Card.OperatingPoints.ReferableDme.Threshold;
            var camArea = CamSize * CamSize;
            for (var i = 0; i < count; i++)
            {
                var probabilities = new double[5];
                var best = 0;
                for (var g = 0; g < 5; g++)
                {
                    probabilities[g] = buffers.Grade[i * 5 + g];
                    if (probabilities[g] > probabilities[best])
                    {
                        best = g;
                    }
                }

                double dr = buffers.Dr[i];
                double dme = buffers.Dme[i];
                var cam = camArea > 0 ? buffers.Cam.AsSpan(i * camArea, camArea).ToArray() : null;
                // Per-image timings share the batch's cost evenly.
                results[start + i] = new DrGrading(best, probabilities, dr, dme, dr >= drThreshold, dme >= dmeThreshold,
                    drThreshold, dmeThreshold, preprocess / count, inference / count, cam, CamSize)
                {
                    Crop = crops[i],
                };
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    LogGraded(_logger, best, results[start + i].ReferableDr, results[start + i].ReferableDme, preprocess.TotalMilliseconds, inference.TotalMilliseconds, count);
                }
            }
        }
        finally
        {
            Return(buffers);
        }
    }

    public void Dispose()
    {
        while (_buffers.TryTake(out var buffers))
        {
            buffers.Dispose();
        }

        _session.Dispose();
    }

    private RunBuffers Rent() => _buffers.TryTake(out var buffers) ? buffers : new RunBuffers(MaxBatch, 3 * _inputSize * _inputSize, _inputSize, CamSize);

    private void Return(RunBuffers buffers)
    {
        if (_buffers.Count < Environment.ProcessorCount * 2)
        {
            _buffers.Add(buffers);
        }
        else
        {
            buffers.Dispose();
        }
    }

    /// <summary>
    /// Pinned input and output arrays for up to <c>capacity</c> images, and the <see cref="OrtValue"/> views over them
    /// per batch size, made once and reused: ONNX Runtime writes the outputs straight into these arrays.
    /// </summary>
    private sealed class RunBuffers(int capacity, int sample, int inputSize, int camSize) : IDisposable
    {
        public float[] Input { get; } = GC.AllocateArray<float>(capacity * sample, pinned: true);
        public float[] Grade { get; } = GC.AllocateArray<float>(capacity * 5, pinned: true);
        public float[] Dr { get; } = GC.AllocateArray<float>(capacity, pinned: true);
        public float[] Dme { get; } = GC.AllocateArray<float>(capacity, pinned: true);
        public float[] Cam { get; } = GC.AllocateArray<float>(Math.Max(1, capacity * camSize * camSize), pinned: true);

        private readonly Dictionary<int, (OrtValue Input, OrtValue[] Outputs)> _views = [];

        public (OrtValue Input, OrtValue[] Outputs) ValuesFor(int n)
        {
            if (_views.TryGetValue(n, out var views))
            {
                return views;
            }

            var info = OrtMemoryInfo.DefaultInstance;
            var input = OrtValue.CreateTensorValueFromMemory(info, Input.AsMemory(0, n * sample), [n, 3, inputSize, inputSize]);
            List<OrtValue> outputs =
            [
                OrtValue.CreateTensorValueFromMemory(info, Grade.AsMemory(0, n * 5), [n, 5]),
                OrtValue.CreateTensorValueFromMemory(info, Dr.AsMemory(0, n), [n, 1]),
                OrtValue.CreateTensorValueFromMemory(info, Dme.AsMemory(0, n), [n, 1]),
            ];
            if (camSize > 0)
            {
                outputs.Add(OrtValue.CreateTensorValueFromMemory(info, Cam.AsMemory(0, n * camSize * camSize), [n, 1, camSize, camSize]));
            }

            views = (input, [.. outputs]);
            _views[n] = views;
            return views;
        }

        public void Dispose()
        {
            foreach (var (input, outputs) in _views.Values)
            {
                input.Dispose();
                foreach (var output in outputs)
                {
                    output.Dispose();
                }
            }

            _views.Clear();
        }
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Loaded model {ModelName} {ModelVersion} (SHA-256 {Sha256}) on {Provider}")]
    private static partial void LogModelLoaded(ILogger logger, string modelName, string modelVersion, string sha256, string provider);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Critical, Message = "Refused model file {ModelPath}: SHA-256 {ActualSha256} differs from the card's {ExpectedSha256}")]
    private static partial void LogModelRejected(ILogger logger, string modelPath, string expectedSha256, string actualSha256);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Graded: ICDR {Grade}, referable DR {ReferableDr}, referable DME {ReferableDme} (preprocess {PreprocessMs:F1} ms, inference {InferenceMs:F1} ms, batch {BatchSize})")]
    private static partial void LogGraded(ILogger logger, int grade, bool referableDr, bool referableDme, double preprocessMs, double inferenceMs, int batchSize);
}
