using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Grading;

/// <summary>
/// Grades diabetic retinopathy with the shipped ONNX model. One instance (one <see cref="InferenceSession"/>) per
/// model per process: <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, and input buffers are pooled so concurrent calls do not allocate 768 KB each.
/// </summary>
public sealed partial class DrGrader : IDisposable
{
    private const int OutputGrade = 0;
    private const int OutputReferableDr = 1;
    private const int OutputReferableDme = 2;
    private static readonly string[] OutputNames = ["grade_probs", "referable_dr", "referable_dme"];

    private readonly InferenceSession _session;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<float[]> _buffers = [];
    private readonly string[] _inputNames;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly int _inputSize;

    public DrGrader(IOptions<FundusGradingOptions> options, ILogger<DrGrader> logger)
        : this(options.Value, logger)
    {
    }

    public DrGrader(FundusGradingOptions options, ILogger<DrGrader>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var cardPath = options.ResolveModelCardPath();
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
        using var sessionOptions = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Math.Max(0, options.IntraOpThreads),
        };
        _session = new InferenceSession(Model.Bytes, sessionOptions);
        LogModelLoaded(_logger, Model.Card.Name, Model.Card.Version, Model.Sha256);
    }

    /// <summary>The verified model, for audit records: card (name, version, thresholds) and SHA-256.</summary>
    public VerifiedModel Model { get; }

    public ModelCard Card => Model.Card;

    public DrGrading Grade(RgbFrame frame) => GradeBatch([frame])[0];

    /// <summary>Grades several photographs in one model run (one batch); results are in input order.</summary>
    public IReadOnlyList<DrGrading> GradeBatch(IReadOnlyList<RgbFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            return [];
        }

        var started = Stopwatch.GetTimestamp();
        var sample = 3 * _inputSize * _inputSize;
        var buffer = Rent(sample * frames.Count);
        try
        {
            for (var i = 0; i < frames.Count; i++)
            {
                var crop = FundusPreprocessor.Crop(frames[i], _inputSize);
                FundusPreprocessor.Normalise(crop, _mean, _std, buffer.AsSpan(i * sample, sample));
            }

            var preprocess = Stopwatch.GetElapsedTime(started);
            var inferenceStarted = Stopwatch.GetTimestamp();
            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, sample * frames.Count),
                [frames.Count, 3, _inputSize, _inputSize]);
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, _inputNames, [inputValue], OutputNames);
            var inference = Stopwatch.GetElapsedTime(inferenceStarted);

            var grades = outputs[OutputGrade].GetTensorDataAsSpan<float>();
            var dr = outputs[OutputReferableDr].GetTensorDataAsSpan<float>();
            var dme = outputs[OutputReferableDme].GetTensorDataAsSpan<float>();
            var drThreshold = Card.OperatingPoints.ReferableDr.Threshold;
            var dmeThreshold = Card.OperatingPoints.ReferableDme.Threshold;
            var results = new DrGrading[frames.Count];
            for (var i = 0; i < frames.Count; i++)
            {
                var probabilities = new double[5];
                var best = 0;
                for (var g = 0; g < 5; g++)
                {
                    probabilities[g] = grades[i * 5 + g];
                    if (probabilities[g] > probabilities[best])
                    {
                        best = g;
                    }
                }

                // Per-image timings share the batch's cost evenly.
                results[i] = new DrGrading(best, probabilities, dr[i], dme[i], dr[i] >= drThreshold, dme[i] >= dmeThreshold,
                    drThreshold, dmeThreshold, preprocess / frames.Count, inference / frames.Count);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    LogGraded(_logger, best, results[i].ReferableDr, results[i].ReferableDme, preprocess.TotalMilliseconds, inference.TotalMilliseconds);
                }
            }

            return results;
        }
        finally
        {
            Return(buffer);
        }
    }

    public void Dispose() => _session.Dispose();

    private float[] Rent(int length)
    {
        // Single-image buffers are pooled; larger batch buffers are allocated once and pooled if they are the usual size.
        while (_buffers.TryTake(out var buffer))
        {
            if (buffer.Length >= length)
            {
                return buffer;
            }
        }

        return new float[length];
    }

    private void Return(float[] buffer)
    {
        if (_buffers.Count < Environment.ProcessorCount * 2)
        {
            _buffers.Add(buffer);
        }
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Loaded model {ModelName} {ModelVersion} (SHA-256 {Sha256})")]
    private static partial void LogModelLoaded(ILogger logger, string modelName, string modelVersion, string sha256);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Critical, Message = "Refused model file {ModelPath}: SHA-256 {ActualSha256} differs from the card's {ExpectedSha256}")]
    private static partial void LogModelRejected(ILogger logger, string modelPath, string expectedSha256, string actualSha256);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Graded: ICDR {Grade}, referable DR {ReferableDr}, referable DME {ReferableDme} (preprocess {PreprocessMs:F1} ms, inference {InferenceMs:F1} ms)")]
    private static partial void LogGraded(ILogger logger, int grade, bool referableDr, bool referableDme, double preprocessMs, double inferenceMs);
}
