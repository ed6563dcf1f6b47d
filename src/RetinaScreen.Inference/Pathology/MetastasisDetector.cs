using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// Scores tissue patches for metastatic carcinoma with an ONNX model meeting the metastasis contract (input "patch"
/// N×3×S×S RGB planar, normalised as the card says; output N×1 sigmoid probability). One instance (one
/// <see cref="InferenceSession"/>) per model per process. Patches are written straight into pinned input buffers that
/// are reused, with their <see cref="OrtValue"/> views, batch after batch: scoring a slide of thousands of patches
/// allocates nothing per batch.
/// </summary>
public sealed partial class MetastasisDetector : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<PatchBatch> _batches = [];
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float[] _scale;
    private readonly float[] _offset;

    public MetastasisDetector(IOptions<PathologyOptions> options, ILogger<MetastasisDetector> logger)
        : this(PathologyOptions.Resolve(options?.Value.ModelCard ?? throw new ArgumentNullException(nameof(options))), options.Value, logger)
    {
    }

    /// <exception cref="ModelIntegrityException">The ONNX file's SHA-256 differs from the card's.</exception>
    public MetastasisDetector(string cardPath, PathologyOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger ?? NullLogger.Instance;
        Card = MetastasisModelCard.Load(cardPath);
        byte[] bytes;
        try
        {
            (bytes, Sha256) = ReadVerified(Card);
        }
        catch (ModelIntegrityException e)
        {
            LogModelRejected(_logger, e.ModelPath ?? cardPath, e.ExpectedSha256 ?? "", e.ActualSha256 ?? "");
            throw;
        }

        PatchSize = Card.Input.Shape[3];
        // (value/255 − mean)/std as one multiply-add per channel.
        _scale = [.. Enumerable.Range(0, 3).Select(c => 1f / (255f * Card.Input.Std[c]))];
        _offset = [.. Enumerable.Range(0, 3).Select(c => -Card.Input.Mean[c] / Card.Input.Std[c])];
        _inputNames = [Card.Input.Name];
        _outputNames = [Card.OutputName];
        MaxBatch = Math.Max(1, options.MaxBatch);
        var (sessionOptions, provider) = ExecutionProviders.CreateSessionOptions(options.ExecutionProvider, options.IntraOpThreads, _logger, Card.Name);
        using (sessionOptions)
        {
            _session = new InferenceSession(bytes, sessionOptions);
        }

        ExecutionProvider = provider;
        Identity = new ModelIdentity(Card.Name, Card.Version, Sha256);
        LogModelLoaded(_logger, Card.Name, Card.Version, Sha256, provider);
    }

    public MetastasisModelCard Card { get; }

    /// <summary>Lower-case hex SHA-256 of the file the session was built from (equal to the card's).</summary>
    public string Sha256 { get; }

    /// <summary>What every analysis records as the model that made it.</summary>
    public ModelIdentity Identity { get; }

    public string ExecutionProvider { get; }

    /// <summary>Side of a model input patch, in pixels.</summary>
    public int PatchSize { get; }

    public int MaxBatch { get; }

    /// <summary>A batch of input buffers to fill with <see cref="PatchBatch.Add"/> and score with <see cref="Score"/>;
    /// dispose it to hand its buffers back for the next caller.</summary>
    public PatchBatch RentBatch()
    {
        if (!_batches.TryTake(out var batch))
        {
            batch = new PatchBatch(this);
        }

        batch.Clear();
        return batch;
    }

    /// <summary>Runs the model on the patches added to <paramref name="batch"/>.</summary>
    /// <returns>One probability per patch, in the order added; valid until the batch is changed or disposed.</returns>
    public ReadOnlySpan<float> Score(PatchBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return [];
        }

        var (input, output) = batch.ValuesFor(batch.Count);
        using (var runOptions = new RunOptions())
        {
            _session.Run(runOptions, _inputNames, [input], _outputNames, [output]);
        }

        return batch.Probabilities.AsSpan(0, batch.Count);
    }

    /// <summary>Scores patches given as separate images (tests, tools): each must be <see cref="PatchSize"/> square.</summary>
    public float[] Score(IReadOnlyList<Dicom.Imaging.RgbFrame> patches)
    {
        ArgumentNullException.ThrowIfNull(patches);
        var results = new float[patches.Count];
        using var batch = RentBatch();
        for (var start = 0; start < patches.Count; start += MaxBatch)
        {
            batch.Clear();
            var count = Math.Min(MaxBatch, patches.Count - start);
            for (var i = 0; i < count; i++)
            {
                var patch = patches[start + i];
                if (patch.Width != PatchSize || patch.Height != PatchSize)
                {
                    throw new ArgumentException($"Patch {start + i} is {patch.Width}×{patch.Height}; the model takes {PatchSize}×{PatchSize}.", nameof(patches));
                }

                batch.Add(patch.Pixels, patch.Stride, 0, 0);
            }

            Score(batch).CopyTo(results.AsSpan(start, count));
        }

        return results;
    }

    public void Dispose()
    {
        while (_batches.TryTake(out var batch))
        {
            batch.Release();
        }

        _session.Dispose();
    }

    private void Return(PatchBatch batch)
    {
        if (_batches.Count < Environment.ProcessorCount)
        {
            _batches.Add(batch);
        }
        else
        {
            batch.Release();
        }
    }

    private static (byte[] Bytes, string Sha256) ReadVerified(MetastasisModelCard card) =>
        VerifiedModel.ReadVerifiedBytes(card.ModelPath, card.Name, card.Version, card.Sha256);

    /// <summary>
    /// Pinned input and output arrays for up to <see cref="MaxBatch"/> patches and the <see cref="OrtValue"/> views over
    /// them per batch size, made once and reused: ONNX Runtime reads the patches from, and writes the probabilities into,
    /// these arrays directly.
    /// </summary>
    public sealed class PatchBatch : IDisposable
    {
        private readonly MetastasisDetector _detector;
        private readonly int _sample;
        private readonly Dictionary<int, (OrtValue Input, OrtValue Output)> _views = [];

        internal PatchBatch(MetastasisDetector detector)
        {
            _detector = detector;
            _sample = 3 * detector.PatchSize * detector.PatchSize;
            Input = GC.AllocateArray<float>(detector.MaxBatch * _sample, pinned: true);
            Probabilities = GC.AllocateArray<float>(detector.MaxBatch, pinned: true);
        }

        internal float[] Input { get; }

        internal float[] Probabilities { get; }

        public int Count { get; private set; }

        public int Capacity => _detector.MaxBatch;

        public bool IsFull => Count == Capacity;

        public void Clear() => Count = 0;

        /// <summary>Normalises the patch whose top left pixel is (<paramref name="x"/>, <paramref name="y"/>) of an
        /// interleaved RGB image into the next slot, planar (RGB planes), as the card says.</summary>
        /// <returns>The patch's index in the batch.</returns>
        public int Add(ReadOnlySpan<byte> rgb, int stride, int x, int y)
        {
            if (IsFull)
            {
                throw new InvalidOperationException("The batch is full; score it and clear it first.");
            }

            var size = _detector.PatchSize;
            var plane = size * size;
            var slot = Input.AsSpan(Count * _sample, _sample);
            var scale = _detector._scale;
            var offset = _detector._offset;
            for (var row = 0; row < size; row++)
            {
                var line = rgb.Slice((y + row) * stride + x * 3, size * 3);
                var at = row * size;
                for (var col = 0; col < size; col++)
                {
                    slot[at + col] = line[col * 3] * scale[0] + offset[0];
                    slot[plane + at + col] = line[col * 3 + 1] * scale[1] + offset[1];
                    slot[2 * plane + at + col] = line[col * 3 + 2] * scale[2] + offset[2];
                }
            }

            return Count++;
        }

        internal (OrtValue Input, OrtValue Output) ValuesFor(int n)
        {
            if (!_views.TryGetValue(n, out var views))
            {
                var info = OrtMemoryInfo.DefaultInstance;
                var size = _detector.PatchSize;
                views = (OrtValue.CreateTensorValueFromMemory(info, Input.AsMemory(0, n * _sample), [n, 3, size, size]),
                         OrtValue.CreateTensorValueFromMemory(info, Probabilities.AsMemory(0, n), [n, 1]));
                _views[n] = views;
            }

            return views;
        }

        /// <summary>Hands the buffers back to the detector for the next batch.</summary>
        public void Dispose() => _detector.Return(this);

        internal void Release()
        {
            foreach (var (input, output) in _views.Values)
            {
                input.Dispose();
                output.Dispose();
            }

            _views.Clear();
        }
    }

    [LoggerMessage(EventId = 2400, Level = LogLevel.Information, Message = "Loaded metastasis model {ModelName} {ModelVersion} (SHA-256 {Sha256}) on {Provider}")]
    private static partial void LogModelLoaded(ILogger logger, string modelName, string modelVersion, string sha256, string provider);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Critical, Message = "Refused metastasis model file {ModelPath}: SHA-256 {ActualSha256} differs from the card's {ExpectedSha256}")]
    private static partial void LogModelRejected(ILogger logger, string modelPath, string expectedSha256, string actualSha256);
}
