namespace RetinaScreen.Inference.Quality;

/// <summary>
/// Decision limits of the rule-based gradability check, calibrated on synthetic photographs
/// (tests/RetinaScreen.Inference.Tests GradabilityTests print the feature ranges they rest on).
/// </summary>
public sealed record GradabilityThresholds
{
    public static GradabilityThresholds Default { get; } = new();

    public double MinMeanLuma { get; init; } = 45;
    public double MaxMeanLuma { get; init; } = 175;
    public double MaxSaturatedFraction { get; init; } = 0.25;
    public double MaxCentreOffset { get; init; } = 0.08;
    public double MinFieldFraction { get; init; } = 0.3;
    public double MinFieldFill { get; init; } = 0.85;
    public double MinFieldAspect { get; init; } = 0.85;
    public double MaxShadowFraction { get; init; } = 0.1;
    public double MinSharpness { get; init; } = 0.2;
}
