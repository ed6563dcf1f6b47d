using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Imaging;

/// <summary>One stored DICOM object. Its SOP Instance UID is the idempotency key of the whole pipeline.</summary>
public sealed class Instance
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string SopInstanceUid { get; set; }
    public required string SopClassUid { get; set; }
    public Guid SeriesId { get; set; }
    public Series? Series { get; set; }
    public required string TransferSyntaxUid { get; set; }
    /// <summary>"R" or "L" from Image Laterality (0020,0062) or Laterality (0020,0060); null when unknown.</summary>
    public string? Laterality { get; set; }
    public int? Rows { get; set; }
    public int? Columns { get; set; }
    /// <summary>Key of the Part 10 file in the object store.</summary>
    public required string StorageKey { get; set; }
    /// <summary>Lower-case hex SHA-256 of the stored Part 10 file.</summary>
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>The sender that delivered it, as ingest names it: "dicom:CALLINGAE", "stow:device" or "queue:device".</summary>
    public string? SourceAeTitle { get; set; }
    public string? SourceAddress { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public List<Prediction> Predictions { get; set; } = [];
}
