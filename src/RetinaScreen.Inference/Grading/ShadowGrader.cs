using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Grading;

/// <summary>
/// The candidate DR model that runs in shadow beside the production one, or none. Its predictions are stored flagged
/// as shadow, never shown in the study view and never decide a referral; the validation report compares them.
/// </summary>
public sealed class ShadowGrader(DrGrader? grader) : IDisposable
{
    public DrGrader? Grader { get; } = grader;

    public ModelIdentity? Model => Grader is null ? null : new(Grader.Card.Name, Grader.Card.Version, Grader.Model.Sha256);

    public void Dispose() => Grader?.Dispose();
}
