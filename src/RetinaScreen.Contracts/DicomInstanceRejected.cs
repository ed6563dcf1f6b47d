namespace RetinaScreen.Contracts;

/// <summary>
/// The submitted object was not stored. <see cref="Status"/> is the DIMSE status a C-STORE would have answered
/// (PS3.4 B.2.3: 0xA700 out of resources — retry later; 0xA900 data set does not match SOP class; 0xC000 cannot
/// understand; 0x0122 SOP class not supported; 0x0124 not authorized — unknown or disabled device token, or an object
/// that contradicts the stored patient, study or series, kept in quarantine; 0x0111 duplicate SOP instance — the SOP
/// Instance UID is stored with other bytes, kept in quarantine).
/// </summary>
public sealed record DicomInstanceRejected
{
    public required Guid SubmissionId { get; init; }
    public required ushort Status { get; init; }
    /// <summary>Why, without patient data.</summary>
    public required string Reason { get; init; }
    public string? SopInstanceUid { get; init; }
}
