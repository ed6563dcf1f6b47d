namespace RetinaScreen.Inference.Pathology;

/// <summary>The "RetinaScreen:Pathology" configuration section: whole-slide metastasis detection.</summary>
public sealed class PathologyOptions
{
    public const string SectionName = "RetinaScreen:Pathology";

    public const string DefaultModelCard = "models/metastasis/metastasis-0.1.0.json";

    /// <summary>The metastasis model's card. Relative paths resolve against the application's base directory.</summary>
    public string ModelCard { get; set; } = DefaultModelCard;

    /// <summary>The most tissue patches scored in one model run; patches of several tiles share a run.</summary>
    public int MaxBatch { get; set; } = 64;

    /// <summary>How often, at most, a running analysis writes its progress to the database.</summary>
    public int ProgressIntervalMilliseconds { get; set; } = 1000;

    /// <summary>How many of the highest-scoring patches an analysis reports as its top regions.</summary>
    public int TopRegions { get; set; } = 5;

    /// <summary>Longest side of the slide overview the heatmap is drawn on, in pixels.</summary>
    public int HeatmapMaxSide { get; set; } = 1024;

    /// <summary>"Cpu" (default) or "Cuda", as for the DR model.</summary>
    public string ExecutionProvider { get; set; } = "Cpu";

    /// <summary>ONNX Runtime intra-op threads for the metastasis session; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; set; }

    public static string Resolve(string card) =>
        Path.IsPathRooted(card) ? card : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, card));
}
