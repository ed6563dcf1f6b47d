namespace RetinaScreen.Contracts;

/// <summary>An adjudicator settled readings that disagreed; their reading is the final one.</summary>
public sealed record CaseAdjudicated
{
    public required string StudyInstanceUid { get; init; }
    public required Guid ReadingId { get; init; }
    public required string AdjudicatorId { get; init; }
    public required DateTimeOffset AdjudicatedAt { get; init; }
}
