using Microsoft.Extensions.Options;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// The largest object each SOP class family may be (<see cref="AcceptedSopClasses.FamilyOf"/>), from
/// <see cref="IngestOptions"/>: the one answer every arrival path, and anything that expands a received object, asks.
/// </summary>
public sealed class ObjectSizeLimits(IOptions<IngestOptions> options)
{
    /// <summary>Upper bound of a configured limit (1 PiB in MiB): keeps the conversion to bytes from overflowing.</summary>
    public const long MaxMegabytes = 1L << 30;

    /// <summary>Largest object, in bytes, of the family <paramref name="sopClassUid"/> belongs to; null names no class yet.</summary>
    public long MaxBytes(string? sopClassUid) => MaxBytes(AcceptedSopClasses.FamilyOf(sopClassUid));

    public long MaxBytes(SopClassFamily family)
    {
        var settings = options.Value;
        var megabytes = family switch
        {
            SopClassFamily.Slide => settings.MaxSlideMegabytes,
            SopClassFamily.Document => settings.MaxDocumentMegabytes,
            _ => settings.MaxPhotographMegabytes,
        };
        return megabytes * 1024 * 1024;
    }
}
