namespace RetinaScreen.Contracts;

/// <summary>A person's reading of a case was recorded (any queue, adjudication included).</summary>
public sealed record ReadingSubmitted
{
    public required string StudyInstanceUid { get; init; }
    public required Guid ReadingId { get; init; }
    /// <summary>The queue the case was read from.</summary>
    public required string Queue { get; init; }
    /// <summary>The reader's Identity user id.</summary>
    public required string ReaderId { get; init; }
    /// <summary>Where the case goes next; null when this reading finalised it.</summary>
    public string? NextQueue { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
}
