namespace RetinaScreen.Contracts;

/// <summary>
/// The camera queue: a camera gateway submits one DICOM Part 10 object for ingest. Exactly one of
/// <see cref="Part10"/> (inline bytes, at most <c>RetinaScreen:Ingest:MaxInlineSubmissionBytes</c>) and
/// <see cref="StorageKey"/> (an object the gateway already put in the shared object store) is set.
/// Answered by <see cref="DicomInstanceAccepted"/> or <see cref="DicomInstanceRejected"/> carrying the same
/// <see cref="SubmissionId"/>: as a response when sent as a request, published otherwise.
/// Resending the same submission is safe: the SOP Instance UID makes ingest idempotent.
/// </summary>
public sealed record SubmitDicomInstance
{
    /// <summary>Chosen by the gateway; correlates the answer with this submission.</summary>
    public required Guid SubmissionId { get; init; }
    /// <summary>The device API token issued at registration (POST /api/admin/devices): proof of who submits.</summary>
    public required string DeviceToken { get; init; }
    public byte[]? Part10 { get; init; }
    public string? StorageKey { get; init; }
}
