namespace RetinaScreen.Contracts;

/// <summary>The submitted object is durably stored and recorded (or was already: <see cref="Duplicate"/>).</summary>
public sealed record DicomInstanceAccepted
{
    public required Guid SubmissionId { get; init; }
    public required string SopInstanceUid { get; init; }
    public bool Duplicate { get; init; }
}
