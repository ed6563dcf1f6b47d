using System.Net;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Devices;

namespace RetinaScreen.Hosting.Devices;

/// <summary>
/// Registered devices as the arrival paths need them. Association negotiation is synchronous and frequent, so
/// DIMSE decisions read a snapshot refreshed at most every few seconds (and at once after a registration or a change
/// in this process); token checks query the database, which is indexed on the token hash.
/// </summary>
public sealed class DeviceDirectory(IDbContextFactory<RetinaScreenDbContext> dbFactory, TimeProvider clock)
{
    private static readonly TimeSpan SnapshotLifetime = TimeSpan.FromSeconds(5);
    private readonly Lock _gate = new();
    private Snapshot? _snapshot;

    public sealed record Entry(long Id, string Name, string? AeTitle, string? AllowedAddress, bool Enabled, string? CertificateThumbprint = null);

    private sealed record Snapshot(IReadOnlyDictionary<string, Entry[]> ByAeTitle, IReadOnlyDictionary<string, Entry> ByCertificate, DateTimeOffset LoadedAt);

    /// <summary>The enabled device holding this token, or null.</summary>
    public async Task<Entry?> FindByTokenAsync(string token, CancellationToken cancellationToken)
    {
        var hash = DeviceTokens.Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.ApiTokenSha256 == hash && d.Enabled, cancellationToken);
        return device is null ? null : ToEntry(device);
    }

    /// <summary>Devices registered with this calling AE title (enabled or not).</summary>
    public IReadOnlyList<Entry> FindByAeTitle(string aeTitle) =>
        Current().ByAeTitle.TryGetValue(aeTitle, out var entries) ? entries : [];

    /// <summary>
    /// The enabled device of this AE title whose allowed address admits the caller, or null. A device registered with
    /// a certificate only matches here when the caller presented that certificate: its AE title alone proves nothing.
    /// </summary>
    public Entry? Match(string aeTitle, IPAddress address, string? certificateThumbprint = null) =>
        FindByAeTitle(aeTitle).FirstOrDefault(d => d.Enabled && (d.AllowedAddress is null || AddressRange.Contains(d.AllowedAddress, address))
            && (d.CertificateThumbprint is null || string.Equals(d.CertificateThumbprint, certificateThumbprint, StringComparison.Ordinal)));

    /// <summary>The device registered with this client certificate thumbprint (enabled or not), or null.</summary>
    public Entry? FindByCertificate(string thumbprint) =>
        Current().ByCertificate.GetValueOrDefault(thumbprint);

    public void Invalidate()
    {
        lock (_gate)
        {
            _snapshot = null;
        }
    }

    private Snapshot Current()
    {
        lock (_gate)
        {
            if (_snapshot is not null && clock.GetUtcNow() - _snapshot.LoadedAt < SnapshotLifetime)
            {
                return _snapshot;
            }

            // A small table read under the lock: concurrent negotiations wait for one load rather than each loading.
            using var db = dbFactory.CreateDbContext();
            var entries = db.Devices.AsNoTracking().Where(d => d.AeTitle != null || d.CertificateThumbprint != null).AsEnumerable()
                .Select(ToEntry)
                .ToArray();
            var byAe = entries.Where(d => d.AeTitle is not null)
                .GroupBy(d => d.AeTitle!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
            var byCertificate = entries.Where(d => d.CertificateThumbprint is not null)
                .ToDictionary(d => d.CertificateThumbprint!, StringComparer.Ordinal);
            _snapshot = new Snapshot(byAe, byCertificate, clock.GetUtcNow());
            return _snapshot;
        }
    }

    private static Entry ToEntry(Device d) => new(d.Id, d.Name, d.AeTitle, d.AllowedAddress, d.Enabled, d.CertificateThumbprint);
}
