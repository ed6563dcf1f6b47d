using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference.Tests;

/// <summary>The shipped DR grader, loaded once for the test class (loading verifies its hash).</summary>
public sealed class ShippedModel : IDisposable
{
    public ShippedModel()
    {
        Grader = new DrGrader(new FundusGradingOptions { IntraOpThreads = 2 });
    }

    public static string CardPath => new FundusGradingOptions().ResolveModelCardPath();

    public DrGrader Grader { get; }

    public void Dispose() => Grader.Dispose();
}
