namespace RetinaScreen.Contracts;

/// <summary>
/// An instance was durably stored and recorded by ingest; the next step (grading) may start.
/// A claim check: it names the stored object, it never carries pixel data.
/// </summary>
public sealed record ImageReceived
{
    public required string SopInstanceUid { get; init; }
    public required string SopClassUid { get; init; }
    public required string StudyInstanceUid { get; init; }
    /// <summary>Key of the Part 10 file in the object store.</summary>
    public required string StorageKey { get; init; }
    /// <summary>Lower-case hex SHA-256 of the stored file, verified again before grading.</summary>
    public required string Sha256 { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}
