namespace RetinaScreen.Data.Screening;

/// <summary>
/// The final reading of a case whose reviews disagreed (or that policy sends to a senior grader): one per case, and it
/// is what the report states.
/// </summary>
public sealed class Adjudication
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ScreeningCaseId { get; set; }
    public ScreeningCase? ScreeningCase { get; set; }

    /// <summary>The Identity user id of the adjudicator.</summary>
    public required string AdjudicatorId { get; set; }

    public int? Grade { get; set; }
    public bool? ReferableDr { get; set; }
    public bool? ReferableDme { get; set; }
    public bool Ungradable { get; set; }
    public string? Rationale { get; set; }
    public DateTimeOffset AdjudicatedAt { get; set; }
}
