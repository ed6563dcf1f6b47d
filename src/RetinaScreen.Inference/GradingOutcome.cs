using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference;

/// <summary>
/// The full answer for one photograph: gradability first, then (only when gradable) the DR grading. For an ungradable
/// photograph the model is not run: <see cref="GradeProbabilities"/> is empty, scores are 0 and referable flags false,
/// while the thresholds still name the operating points in force. A photograph that could not be decoded whole is
/// ungradable with the decoder's reason and has no <see cref="Quality"/>: nothing of it was measured.
/// </summary>
public sealed record GradingOutcome(
    bool Gradable,
    string? UngradableReason,
    int Grade,
    double[] GradeProbabilities,
    double ReferableDrScore,
    double ReferableDmeScore,
    double ReferableDrThreshold,
    double ReferableDmeThreshold,
    bool ReferableDr,
    bool ReferableDme,
    TimeSpan Preprocess,
    TimeSpan Inference,
    QualityFeatures? Quality)
{
    /// <summary>The referable-DR heatmap as a PNG overlay on the field crop; null when ungradable or the model has no CAM.</summary>
    public byte[]? HeatmapPng { get; init; }

    /// <summary>Where in the photograph (full-resolution pixels) the model's field crop, and so the heatmap, lies; null
    /// when ungradable (the model did not run).</summary>
    public FieldBox? FieldBox { get; init; }

    /// <summary>Time spent after the model run (heatmap rendering).</summary>
    public TimeSpan Postprocess { get; init; }
}
