using Microsoft.ML.Data;

namespace RetinaScreen.Inference.Quality;

/// <summary>The gradability classifier's input row: <see cref="QualityFeatures"/> in a fixed order, and the label
/// (true = ungradable) when training.</summary>
public sealed class QualityFeatureVector
{
    public const int Length = 11;

    public static readonly IReadOnlyList<string> Names =
    [
        nameof(QualityFeatures.FieldFraction), nameof(QualityFeatures.CentreOffset), nameof(QualityFeatures.FieldFill),
        nameof(QualityFeatures.FieldAspect), nameof(QualityFeatures.MeanLuma), nameof(QualityFeatures.LumaP05),
        nameof(QualityFeatures.LumaP95), nameof(QualityFeatures.SaturatedFraction), nameof(QualityFeatures.ShadowFraction),
        nameof(QualityFeatures.Contrast), nameof(QualityFeatures.Sharpness),
    ];

    [VectorType(Length)]
    public float[] Features { get; set; } = new float[Length];

    public bool Label { get; set; }

    public static QualityFeatureVector From(QualityFeatures f, bool ungradable = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new QualityFeatureVector
        {
            Features =
            [
                (float)f.FieldFraction, (float)f.CentreOffset, (float)f.FieldFill, (float)f.FieldAspect, (float)f.MeanLuma,
                (float)f.LumaP05, (float)f.LumaP95, (float)f.SaturatedFraction, (float)f.ShadowFraction, (float)f.Contrast,
                (float)f.Sharpness,
            ],
            Label = ungradable,
        };
    }
}

/// <summary>What the classifier returns: the calibrated probability that the photograph is ungradable.</summary>
public sealed class UngradablePrediction
{
    public bool PredictedLabel { get; set; }
    public float Score { get; set; }
    public float Probability { get; set; }
}
