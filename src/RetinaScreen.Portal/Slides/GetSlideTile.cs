using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Portal.Accounts;
using RetinaScreen.Portal.Images;

namespace RetinaScreen.Portal.Slides;

/// <summary>
/// <c>GET /api/slides/{sopInstanceUid}/tiles/{level}/{column}_{row}.jpg</c>: one Deep Zoom tile of a whole slide (see
/// <see cref="SlidePyramid"/>). A viewer reads hundreds of tiles of a slide in a session, so the PHI access is audited
/// once per slide and user within <see cref="ImagingOptions.TileAuditWindowMinutes"/> (per portal process), not per tile.
/// </summary>
internal static class GetSlideTile
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/slides/{sopInstanceUid}/tiles/{level:int}/{column:int}_{row:int}.jpg", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetSlideTile")
            .WithTags("Slides")
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg");

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> HandleAsync(
        string sopInstanceUid,
        int level,
        int column,
        int row,
        ClaimsPrincipal user,
        SlidePyramid pyramid,
        SlideAccessWindow accesses,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var tile = await pyramid.TileAsync(sopInstanceUid, level, column, row, cancellationToken);
        if (tile is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Tile not found",
                detail: "No whole slide has this SOP Instance UID, or the level, column or row lies outside its pyramid.");
        }

        var actor = AuditTrail.ActorOf(user);
        if (accesses.IsFirstInWindow(actor, sopInstanceUid))
        {
            await InstanceAccessAudit.AppendAsync(audit, user, sopInstanceUid, "success", cancellationToken);
        }

        return TypedResults.File(tile, "image/jpeg");
    }
}
