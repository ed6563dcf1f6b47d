namespace RetinaScreen.Ingest;

/// <summary>Ingest policy shared by every arrival path, bound from <c>RetinaScreen:Ingest</c>.</summary>
public sealed class IngestOptions
{
    public const string SectionName = "RetinaScreen:Ingest";

    /// <summary>
    /// Below this much free space in the data folder new objects are refused (DIMSE 0xA700, STOW-RS failure
    /// reason 0xA700, queue rejection), before the disk fills and the database can no longer commit.
    /// </summary>
    public long MinimumFreeDiskMegabytes { get; set; } = 512;

    /// <summary>
    /// When true, a DIMSE caller must be an enabled registered device with its AE title (and address, if the
    /// device names one). When false, unregistered AE titles are accepted but a registered AE title calling
    /// from an address outside its device's allowed range, or a disabled device, is still refused.
    /// </summary>
    public bool RequireRegisteredDevices { get; set; }

    /// <summary>Largest Part 10 object carried inline in a <c>SubmitDicomInstance</c> message.</summary>
    public int MaxInlineSubmissionBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest single part of a STOW-RS request.</summary>
    public long MaxStowPartBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Largest STOW-RS request body, all parts together.</summary>
    public long MaxStowBodyBytes { get; set; } = 8L * 1024 * 1024 * 1024;
}
