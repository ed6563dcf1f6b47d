namespace RetinaScreen.Contracts;

/// <summary>
/// The models have answered for a case (every photograph graded, or the slide analysed) and the routing has decided
/// where it goes: to a person's queue, or nowhere (the model's answer is then final and <see cref="CaseFinalised"/>
/// follows).
/// </summary>
public sealed record ScreeningGraded
{
    public required string StudyInstanceUid { get; init; }
    /// <summary><c>Fundus</c> or <c>Slide</c>.</summary>
    public required string Kind { get; init; }
    /// <summary>The queue the case was routed to; null when no one needs to read it.</summary>
    public string? Queue { get; init; }
    public int? WorstGrade { get; init; }
    public bool? ReferableDr { get; init; }
    public bool? ReferableDme { get; init; }
    public bool AnyUngradable { get; init; }
    public bool? MetastasisPositive { get; init; }
    public required DateTimeOffset GradedAt { get; init; }
}
