namespace RetinaScreen.Contracts;

/// <summary>
/// An administrator released a quarantined object (the portal wrote this through the outbox with the request); ingest
/// records it into the record by the path every arrival takes. Carries no patient data: ingest reads the record.
/// </summary>
public sealed record QuarantineReleaseRequested
{
    public required Guid QuarantineId { get; init; }
}
