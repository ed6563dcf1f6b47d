namespace RetinaScreen.Inference;

/// <summary>The "RetinaScreen:Inference" configuration section.</summary>
public sealed class FundusGradingOptions
{
    public const string SectionName = "RetinaScreen:Inference";

    /// <summary>The DR grader's model card. Relative paths resolve against the application's base directory.</summary>
    public string ModelCard { get; set; } = DefaultModelCard;

    /// <summary>ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; set; }

    public const string DefaultModelCard = "models/dr-grader/dr-grader-0.1.0.json";

    public string ResolveModelCardPath() =>
        Path.IsPathRooted(ModelCard) ? ModelCard : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, ModelCard));
}
