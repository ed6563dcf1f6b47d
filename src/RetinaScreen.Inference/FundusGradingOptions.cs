namespace RetinaScreen.Inference;

/// <summary>The "RetinaScreen:Inference" configuration section.</summary>
public sealed class FundusGradingOptions
{
    public const string SectionName = "RetinaScreen:Inference";

    public const string DefaultModelCard = "models/dr-grader/dr-grader-0.2.0.json";
    public const string DefaultGradabilityModelCard = "models/gradability/gradability-0.1.0.json";

    /// <summary>The DR grader's model card. Relative paths resolve against the application's base directory.</summary>
    public string ModelCard { get; set; } = DefaultModelCard;

    /// <summary>A candidate DR model run in shadow beside <see cref="ModelCard"/>: its predictions are stored, flagged, never
    /// shown and never decide a referral. Empty: no shadow model.</summary>
    public string? ShadowModelCard { get; set; }

    /// <summary>The learned gradability classifier's card. Empty: the rule-based check alone decides.</summary>
    public string? GradabilityModelCard { get; set; } = DefaultGradabilityModelCard;

    /// <summary>ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>"Cpu" (default) or "Cuda". CUDA needs the GPU build (InferenceGpu=true); without it the worker logs a
    /// warning and runs on CPU.</summary>
    public string ExecutionProvider { get; set; } = "Cpu";

    /// <summary>
    /// Photographs graded at once (decoded, preprocessed, waiting for their batch). 0: as many as fill a batch, at
    /// least one per core. The embedded host sets 1, so that grading keeps to about one core and the DICOM receiver
    /// (a camera waits for each answer) is not starved; grading may lag during a burst.
    /// </summary>
    public int ConcurrentImages { get; set; }

    /// <summary>
    /// While DICOM objects stream into this process, a photograph waits for a lull in arrivals before it is graded,
    /// at most this long (0: never waits). The embedded host sets it, as reception and grading share its cores.
    /// </summary>
    public int YieldToArrivalsMilliseconds { get; set; }

    /// <summary>Dynamic batching: the most photographs graded in one model run.</summary>
    public int MaxBatch { get; set; } = 8;

    /// <summary>Dynamic batching: how long the first photograph of a batch may wait for others to join it.</summary>
    public double MaxBatchWaitMilliseconds { get; set; } = 5;

    public string ResolveModelCardPath() => Resolve(ModelCard);

    public static string Resolve(string card) =>
        Path.IsPathRooted(card) ? card : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, card));
}
