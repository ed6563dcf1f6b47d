using System.ComponentModel.DataAnnotations;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest;

/// <summary>Ingest policy shared by every arrival path, bound from <c>RetinaScreen:Ingest</c> and validated at start.</summary>
public sealed class IngestOptions
{
    public const string SectionName = "RetinaScreen:Ingest";

    /// <summary>
    /// Free space the data folder keeps. Arrivals reserve room for what they are receiving as it arrives; a transfer
    /// that would take free space below this stops writing and is refused (DIMSE 0xA700, STOW-RS 503, queue
    /// rejection), before the disk fills and the database can no longer commit. 0 turns the check off.
    /// </summary>
    [Range(0, long.MaxValue / (1024 * 1024))]
    public long MinimumFreeDiskMegabytes { get; set; } = 512;

    /// <summary>
    /// When true, a DIMSE caller must be an enabled registered device with its AE title (and address, if the
    /// device names one). When false, unregistered AE titles are accepted but a registered AE title calling
    /// from an address outside its device's allowed range, or a disabled device, is still refused.
    /// </summary>
    public bool RequireRegisteredDevices { get; set; } = true;

    /// <summary>
    /// Largest photograph-family object (ophthalmic and VL photographs, secondary captures, and any class not named
    /// by another family), in MiB. Fundus photographs are 2-20 MB.
    /// </summary>
    [Range(1, ObjectSizeLimits.MaxMegabytes)]
    public long MaxPhotographMegabytes { get; set; } = 64;

    /// <summary>Largest whole-slide image, in MiB.</summary>
    [Range(1, ObjectSizeLimits.MaxMegabytes)]
    public long MaxSlideMegabytes { get; set; } = 4096;

    /// <summary>Largest encapsulated document (PDF), in MiB.</summary>
    [Range(1, ObjectSizeLimits.MaxMegabytes)]
    public long MaxDocumentMegabytes { get; set; } = 64;

    /// <summary>Largest Part 10 object carried inline in a <c>SubmitDicomInstance</c> message.</summary>
    [Range(1, int.MaxValue)]
    public int MaxInlineSubmissionBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest STOW-RS request body, all parts together; each part is also bound by its family's limit.</summary>
    [Range(1, long.MaxValue - (1024 * 1024))]
    public long MaxStowBodyBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>STOW-RS requests served at once for one remote address; more are answered 429 with Retry-After.</summary>
    [Range(1, 10_000)]
    public int MaxStowRequestsPerPeer { get; set; } = 4;

    /// <summary>STOW-RS requests served at once from all peers together; more are answered 503 with Retry-After.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentStowRequests { get; set; } = 16;
}
