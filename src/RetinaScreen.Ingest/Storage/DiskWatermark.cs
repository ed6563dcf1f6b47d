using Microsoft.Extensions.Options;
using RetinaScreen.Hosting;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// Refuses new objects before the data folder's disk fills: a full disk would fail the database commit after the
/// sender had already spent the transfer, and could corrupt what other roles write there.
/// </summary>
public sealed class DiskWatermark(IOptions<IngestOptions> options, IOptions<RetinaScreenOptions> retinaScreen)
{
    private readonly string _folder = Path.GetFullPath(retinaScreen.Value.DataPath);

    /// <summary>A statfs call: cheap enough to ask before every object.</summary>
    public bool HasRoom()
    {
        var minimum = options.Value.MinimumFreeDiskMegabytes * 1024 * 1024;
        if (minimum <= 0)
        {
            return true;
        }

        Directory.CreateDirectory(_folder);
        return new DriveInfo(_folder).AvailableFreeSpace >= minimum;
    }
}
