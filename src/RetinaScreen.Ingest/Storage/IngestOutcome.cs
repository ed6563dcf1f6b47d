namespace RetinaScreen.Ingest.Storage;

public enum IngestResult
{
    /// <summary>Stored, recorded and published for grading.</summary>
    Stored,

    /// <summary>The SOP Instance UID was already stored with the same bytes: nothing changed, the sender is told success.</summary>
    Duplicate,

    /// <summary>The bytes are not a DICOM object we can read.</summary>
    RejectedUnreadable,

    /// <summary>A DICOM object, but not of a SOP class RetinaScreen accepts.</summary>
    RejectedSopClass,

    /// <summary>The dataset contradicts what the sender declared, or lacks attributes the SOP class requires.</summary>
    RejectedInvalid,

    /// <summary>Storage or database unavailable: the sender should retry later.</summary>
    OutOfResources,

    /// <summary>
    /// The object's patient, study or series contradicts what is stored (another patient's study, other demographics
    /// for a stored patient): kept in quarantine for an administrator, not recorded.
    /// </summary>
    QuarantinedIdentityConflict,

    /// <summary>The SOP Instance UID is stored with other bytes: kept in quarantine for review, not recorded.</summary>
    QuarantinedInstanceConflict,
}

/// <param name="Reason">Why it was refused, fit for a DICOM Error Comment or a problem response (no patient data).</param>
public sealed record IngestOutcome(IngestResult Result, string? SopInstanceUid = null, string? Reason = null)
{
    /// <summary>The data set's SOP Class UID, when it could be read (STOW-RS answers name it).</summary>
    public string? SopClassUid { get; init; }

    /// <summary>The quarantine record that keeps the object, for the two quarantine results.</summary>
    public Guid? QuarantineId { get; init; }

    public bool Succeeded => Result is IngestResult.Stored or IngestResult.Duplicate;
}
