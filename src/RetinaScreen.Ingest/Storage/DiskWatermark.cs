using Microsoft.Extensions.Options;
using RetinaScreen.Hosting;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// Keeps the data folder's free space above <see cref="IngestOptions.MinimumFreeDiskMegabytes"/>: a full disk would
/// fail the database commit after the sender had already spent the transfer, and could corrupt what other roles write
/// there. Transfers in progress reserve room ahead of the bytes they write (<see cref="Reserve"/>), and every decision
/// counts what the others have reserved and not yet written, so that parallel senders cannot pass the watermark
/// together.
/// </summary>
public sealed class DiskWatermark(IOptions<IngestOptions> options, IOptions<RetinaScreenOptions> retinaScreen)
{
    /// <summary>
    /// Room is granted this far ahead of the bytes written, so the file system is asked once per step rather than once
    /// per PDU; the ledger over-counts by at most this much per transfer, never under-counts.
    /// </summary>
    internal const long Step = 4L * 1024 * 1024;

    private readonly string _folder = Path.GetFullPath(retinaScreen.Value.DataPath);
    private readonly Lock _gate = new();
    private bool _folderExists;

    /// <summary>Bytes granted to transfers in progress that they may not have written yet.</summary>
    private long _reserved;

    /// <summary>Bytes reserved by transfers in progress and not yet written, for tests and metrics.</summary>
    public long ReservedBytes
    {
        get
        {
            lock (_gate)
            {
                return _reserved;
            }
        }
    }

    /// <summary>Whether an object already on disk may be taken in: free space, less what transfers in progress hold, is above the watermark.</summary>
    public bool HasRoom()
    {
        lock (_gate)
        {
            return HasRoomLocked(0);
        }
    }

    /// <summary>Room for one transfer, given back when it is disposed (every exit path of the transfer must dispose it).</summary>
    public Reservation Reserve() => new(this);

    /// <summary>A statfs call: cheap enough to ask once per <see cref="Step"/> of every transfer.</summary>
    private bool HasRoomLocked(long more)
    {
        var minimum = options.Value.MinimumFreeDiskMegabytes * 1024 * 1024;
        if (minimum <= 0)
        {
            return true;
        }

        if (!_folderExists)
        {
            Directory.CreateDirectory(_folder);
            _folderExists = true;
        }

        return new DriveInfo(_folder).AvailableFreeSpace - _reserved - more >= minimum;
    }

    /// <summary>
    /// The room one transfer holds: up to <see cref="Step"/> beyond the bytes it has written. Used by one transfer at a
    /// time; only the ledger it draws on is shared.
    /// </summary>
    public sealed class Reservation : IDisposable
    {
        private readonly DiskWatermark _ledger;
        private long _granted = -1;
        private long _written;
        private long _held;
        private bool _closed;

        internal Reservation(DiskWatermark ledger) => _ledger = ledger;

        /// <summary>
        /// Whether the transfer may grow to <paramref name="totalBytes"/> (everything it has written, and what it is
        /// about to write). False is final: the room held is given back and the transfer must stop writing.
        /// </summary>
        public bool TryGrow(long totalBytes)
        {
            if (_closed)
            {
                return false;
            }

            if (totalBytes <= _granted)
            {
                _written = Math.Max(_written, totalBytes);
                return true;
            }

            lock (_ledger._gate)
            {
                // What was written so far is on disk now, and free space counts it; the new grant covers the rest.
                _ledger._reserved -= _held;
                var needed = totalBytes + Step - _written;
                if (!_ledger.HasRoomLocked(needed))
                {
                    _held = 0;
                    _closed = true;
                    return false;
                }

                _ledger._reserved += needed;
                _held = needed;
                _granted = totalBytes + Step;
                _written = totalBytes;
                return true;
            }
        }

        public void Dispose()
        {
            lock (_ledger._gate)
            {
                _ledger._reserved -= _held;
                _held = 0;
                _closed = true;
            }
        }
    }
}
