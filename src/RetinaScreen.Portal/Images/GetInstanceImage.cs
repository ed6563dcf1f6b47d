using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using RetinaScreen.Data;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Portal.Accounts;

namespace RetinaScreen.Portal.Images;

/// <summary>
/// <c>GET /api/instances/{sopInstanceUid}/image</c>: frame 1 of a stored photograph as JPEG. A single-frame JPEG is sent
/// as it was stored, byte for byte and undecoded (a 4096-pixel photograph costs a file read); anything else is decoded
/// and encoded. The ETag is the instance's SHA-256: the stored bytes never change under it. Every read is audited.
/// </summary>
internal static class GetInstanceImage
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/instances/{sopInstanceUid}/image", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetInstanceImage")
            .WithTags("Images")
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg");

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> HandleAsync(
        string sopInstanceUid,
        ClaimsPrincipal user,
        RetinaScreenDbContext db,
        StoredInstanceFiles files,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var instance = await db.Instances.AsNoTracking()
            .Where(i => i.SopInstanceUid == sopInstanceUid)
            .Select(i => new { i.StorageKey, i.Sha256 })
            .FirstOrDefaultAsync(cancellationToken);
        if (instance is null)
        {
            return NotFound();
        }

        byte[] jpeg;
        try
        {
            var file = await files.OpenAsync(instance.StorageKey, instance.Sha256, cancellationToken);
            jpeg = StoredFrames.Jpeg(file, 0);
        }
        catch (FileNotFoundException)
        {
            await InstanceAccessAudit.AppendAsync(audit, user, sopInstanceUid, "failed: not in the object store", cancellationToken);
            return NotFound();
        }

        await InstanceAccessAudit.AppendAsync(audit, user, sopInstanceUid, "success", cancellationToken);
        return TypedResults.File(jpeg, "image/jpeg", entityTag: new EntityTagHeaderValue($"\"{instance.Sha256}\""));
    }

    private static ProblemHttpResult NotFound() => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Image not found",
        detail: "No stored instance has this SOP Instance UID.");
}
