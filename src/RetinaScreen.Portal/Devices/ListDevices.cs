using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;

namespace RetinaScreen.Portal.Devices;

/// <summary><c>GET /api/admin/devices</c> and <c>GET /api/admin/devices/{id}</c> (where registration's Location points):
/// the registered devices, never their tokens.</summary>
public static class ListDevices
{
    public sealed record Item(long Id, string Name, string? Site, string? AeTitle, string? AllowedAddress, bool Enabled, DateTimeOffset RegisteredAt, string? CertificateThumbprint);

    public static async Task<Ok<Item[]>> HandleAsync(IDbContextFactory<RetinaScreenDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var devices = await db.Devices.AsNoTracking().OrderBy(d => d.Id).ToArrayAsync(cancellationToken);
        return TypedResults.Ok(devices.Select(ToItem).ToArray());
    }

    public static async Task<Results<Ok<Item>, NotFound>> HandleOneAsync(long id, IDbContextFactory<RetinaScreenDbContext> dbFactory, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        return device is null ? TypedResults.NotFound() : TypedResults.Ok(ToItem(device));
    }

    internal static Item ToItem(RetinaScreen.Data.Devices.Device d) =>
        new(d.Id, d.Name, d.Site, d.AeTitle, d.AllowedAddress, d.Enabled, d.RegisteredAt, d.CertificateThumbprint);
}
