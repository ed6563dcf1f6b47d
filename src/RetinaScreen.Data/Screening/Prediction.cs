using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Screening;

/// <summary>
/// One model's output on one instance. Exactly one per (instance, model version): the unique index is what
/// makes a redelivered message harmless.
/// </summary>
public sealed class Prediction
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid InstanceId { get; set; }
    public Instance? Instance { get; set; }
    public Guid ModelVersionId { get; set; }
    public ModelVersion? ModelVersion { get; set; }
    public bool Gradable { get; set; }
    /// <summary>Why the photograph was judged ungradable ("blurred", "too dark"), null when gradable.</summary>
    public string? UngradableReason { get; set; }
    /// <summary>ICDR grade 0–4 (argmax of <see cref="GradeProbabilities"/>); null when ungradable.</summary>
    public int? Grade { get; set; }
    /// <summary>Probabilities of ICDR grades 0..4.</summary>
    public double[] GradeProbabilities { get; set; } = [];
    public double ReferableDrScore { get; set; }
    public double ReferableDmeScore { get; set; }
    /// <summary>The operating points applied to the scores, recorded so that every decision can be re-derived.</summary>
    public double ReferableDrThreshold { get; set; }
    public double ReferableDmeThreshold { get; set; }
    public bool ReferableDr { get; set; }
    public bool ReferableDme { get; set; }
    /// <summary>SHA-256 of the image file the model saw, checked against the stored one before grading.</summary>
    public required string ImageSha256 { get; set; }
    /// <summary>Object-store key of the heatmap overlay (PNG, content-addressed, stored beside the image); null when none was
    /// made (an ungradable photograph is not graded, so it has no heatmap).</summary>
    public string? HeatmapKey { get; set; }
    /// <summary>Where the heatmap lies on the photograph: the field crop the model saw, in full-resolution pixels.</summary>
    public int? HeatmapX { get; set; }
    public int? HeatmapY { get; set; }
    public int? HeatmapWidth { get; set; }
    public int? HeatmapHeight { get; set; }
    /// <summary>Made by a candidate model running in shadow: stored for comparison in validation, never shown to graders
    /// and never part of the screening's outcome.</summary>
    public bool Shadow { get; set; }
    public double PreprocessMilliseconds { get; set; }
    public double InferenceMilliseconds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
