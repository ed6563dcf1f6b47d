using System.ComponentModel.DataAnnotations;

namespace RetinaScreen.Portal.Images;

/// <summary>How the portal serves photographs and slide tiles (<c>RetinaScreen:Portal:Imaging</c>).</summary>
public sealed class ImagingOptions
{
    public const string SectionName = "RetinaScreen:Portal:Imaging";

    /// <summary>Bytes of composed slide tiles and parsed slide headers kept in memory, shared by all slides.</summary>
    [Range(1L << 20, long.MaxValue)]
    public long TileCacheBytes { get; set; } = 256L << 20;

    /// <summary>Tile reads of one slide by one user within this many minutes are audited as one access.</summary>
    [Range(0, 24 * 60)]
    public int TileAuditWindowMinutes { get; set; } = 5;

    /// <summary>Where copies of objects from a store without local files (S3) are kept for reading frames by offset;
    /// defaults to <c>{DataPath}/cache/objects</c>.</summary>
    public string? LocalCopyPath { get; set; }
}
