namespace RetinaScreen.Inference.Quality;

/// <summary>Whether a photograph can be graded; when not, the first reason found ("too dark", "overexposed",
/// "field not centred", "insufficient field", "blurred") so the operator can retake it while the patient is there.</summary>
public sealed record Gradability(bool Gradable, string? Reason, QualityFeatures Features)
{
    public const string TooDark = "too dark";
    public const string Overexposed = "overexposed";
    public const string FieldNotCentred = "field not centred";
    public const string InsufficientField = "insufficient field";
    public const string Blurred = "blurred";
}
