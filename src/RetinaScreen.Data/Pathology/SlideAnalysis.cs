using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Pathology;

/// <summary>
/// One metastasis model's analysis of one whole-slide image: its progress while it runs, then the slide probability, the
/// operating point applied, the top regions and the heatmap. Exactly one per (instance, model version): the unique index
/// is what makes a redelivered message harmless.
/// </summary>
public sealed class SlideAnalysis
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid InstanceId { get; set; }
    public Instance? Instance { get; set; }
    public Guid ModelVersionId { get; set; }
    public ModelVersion? ModelVersion { get; set; }
    public SlideAnalysisStatus Status { get; set; } = SlideAnalysisStatus.Running;
    /// <summary>Tiles (frames of the first focal plane and optical path) in the slide, and how many have been read.</summary>
    public int TilesTotal { get; set; }
    public int TilesAnalysed { get; set; }
    /// <summary>Patches that passed the tissue rule and were scored; background is skipped.</summary>
    public int TissuePatches { get; set; }
    /// <summary>The slide's metastasis probability (the card's aggregation of patch probabilities); null until completed.</summary>
    public double? Probability { get; set; }
    /// <summary>The slide operating point applied, recorded so that the decision can be re-derived.</summary>
    public double Threshold { get; set; }
    public bool? Positive { get; set; }
    /// <summary>SHA-256 of the slide file analysed, checked against the stored one first.</summary>
    public required string ImageSha256 { get; set; }
    /// <summary>Object-store key of the heatmap PNG (content-addressed, beside the slide); null until completed.</summary>
    public string? HeatmapKey { get; set; }
    /// <summary>The highest-scoring patches as a JSON array of {x, y, width, height, probability} in slide pixels.</summary>
    public string? TopRegions { get; set; }
    /// <summary>Why the analysis failed (the slide could not be read), null otherwise. Never patient data.</summary>
    public string? FailureReason { get; set; }
    public double InferenceMilliseconds { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? ProgressAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
