using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Hosting.Devices;

namespace RetinaScreen.Portal.Devices;

/// <summary>
/// <c>POST /api/admin/devices/{id}/token</c>: issues a device a new API token, shown only in this answer. The old
/// token stops working with the same commit: only the new token's hash is kept, and token checks read the database.
/// </summary>
public static class RotateDeviceToken
{
    public sealed record Response(long Id, string Name, string ApiToken);

    public static async Task<Results<Ok<Response>, NotFound<ProblemDetailsMessage>>> HandleAsync(
        long id,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        DeviceDirectory directory,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return TypedResults.NotFound(new ProblemDetailsMessage("No device has this id."));
        }

        var token = DeviceTokens.NewToken();
        device.ApiTokenSha256 = DeviceTokens.Hash(token);
        // Neither token nor hash: the record says that it changed, not what to.
        db.AuditEvents.Add(DeviceAudit.Event(user, clock.GetUtcNow(), "device.token_rotated", device.Id, new { deviceName = device.Name }));
        await db.SaveChangesAsync(cancellationToken);
        directory.Invalidate();
        return TypedResults.Ok(new Response(device.Id, device.Name, token));
    }
}
