namespace RetinaScreen.Data.Imaging;

/// <summary>
/// An arrived object that contradicts what is stored (another patient's study, other demographics for a stored
/// patient, a stored SOP Instance UID with other bytes). It is kept exactly as sent, outside the record, until an
/// administrator releases it into the record or discards it; it is never merged on its own.
/// </summary>
public sealed class QuarantinedInstance
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public QuarantineReason Reason { get; set; }
    /// <summary>What conflicts, in words and attribute names only (e.g. "Patient's Name, Patient's Sex").</summary>
    public required string Detail { get; set; }
    public QuarantineStatus Status { get; set; } = QuarantineStatus.Open;

    public required string SopInstanceUid { get; set; }
    public required string SopClassUid { get; set; }
    public required string StudyInstanceUid { get; set; }
    public required string SeriesInstanceUid { get; set; }
    /// <summary>The patient as the object names it (Patient ID, issuer, name, birth date, sex as sent).</summary>
    public string PatientId { get; set; } = "";
    public string IssuerOfPatientId { get; set; } = "";
    public string? PatientName { get; set; }
    public string? PatientBirthDate { get; set; }
    public string? PatientSex { get; set; }

    /// <summary>The stored patient it conflicts with (<see cref="Patient.Id"/>), when one is involved.</summary>
    public Guid? ConflictingPatientId { get; set; }
    /// <summary>The stored study it conflicts with (<see cref="Study.Id"/>), when one is involved.</summary>
    public Guid? ConflictingStudyId { get; set; }
    /// <summary>The stored instance with the same SOP Instance UID (<see cref="Instance.Id"/>), for a content conflict.</summary>
    public Guid? ConflictingInstanceId { get; set; }

    /// <summary>Key of the Part 10 file in the object store, kept as it arrived.</summary>
    public required string StorageKey { get; set; }
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>Who sent it ("dicom:AE", "stow:device", "queue:device"), the registered device and its address.</summary>
    public required string Source { get; set; }
    public string? Device { get; set; }
    public string? SourceAddress { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>How an administrator asked to release it; null until then.</summary>
    public QuarantineRelease? Release { get; set; }
    /// <summary>The administrator who released or discarded it, and when.</summary>
    public string? ResolvedBy { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    /// <summary>Why the last release could not be completed (the object is open again); null otherwise.</summary>
    public string? ReleaseError { get; set; }
    /// <summary>The instance recorded from it once released.</summary>
    public Guid? ReleasedInstanceId { get; set; }
}

public enum QuarantineReason
{
    /// <summary>The stored patient with this Patient ID has another name, birth date or sex.</summary>
    PatientDemographicsConflict,

    /// <summary>The Study Instance UID is stored under another patient.</summary>
    StudyOfAnotherPatient,

    /// <summary>The Series Instance UID is stored under another study.</summary>
    SeriesOfAnotherStudy,

    /// <summary>The SOP Instance UID is stored with other bytes.</summary>
    SopInstanceConflict,
}

public enum QuarantineStatus
{
    /// <summary>Waiting for an administrator.</summary>
    Open,

    /// <summary>An administrator released it; ingest is recording it.</summary>
    Releasing,

    /// <summary>Recorded into the record (and published for grading when gradable).</summary>
    Released,

    /// <summary>An administrator decided it does not belong; the record stays as evidence, the object goes.</summary>
    Discarded,
}

/// <summary>How a released object enters the record.</summary>
public enum QuarantineRelease
{
    /// <summary>
    /// Under the stored identity it conflicts with: the stored series' study, the stored study's patient, or the stored
    /// patient with its stored name, birth date and sex. The object's bytes stay as sent.
    /// </summary>
    StoredIdentity,

    /// <summary>
    /// Under the stored patient with the same Patient ID, whose name, birth date and sex become the object's (the
    /// object carries the correction). Only for a demographics conflict.
    /// </summary>
    SentDemographics,
}
