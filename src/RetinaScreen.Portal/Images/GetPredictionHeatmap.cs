using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using RetinaScreen.Data;
using RetinaScreen.Data.Storage;
using RetinaScreen.Hosting.Security;

namespace RetinaScreen.Portal.Images;

/// <summary><c>GET /api/predictions/{id}/heatmap</c>: the PNG overlay of one prediction on the photograph's field crop
/// (the prediction's heatmap box, in photograph pixels), for whoever may read cases.</summary>
internal static class GetPredictionHeatmap
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/predictions/{id:guid}/heatmap", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetPredictionHeatmap")
            .WithTags("Predictions")
            .Produces(StatusCodes.Status200OK, contentType: "image/png");

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> HandleAsync(
        Guid id, RetinaScreenDbContext db, IObjectStore objectStore, CancellationToken cancellationToken)
    {
        var key = await db.Predictions.AsNoTracking()
            .Where(p => p.Id == id)
            .Select(p => p.HeatmapKey)
            .FirstOrDefaultAsync(cancellationToken);
        if (key is null || !await objectStore.ExistsAsync(key, cancellationToken))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Heatmap not found",
                detail: "The prediction does not exist or has no heatmap (an ungradable photograph is not graded).");
        }

        // Content-addressed: the bytes behind a key never change, so clients may cache them for good.
        return TypedResults.File(await objectStore.OpenReadAsync(key, cancellationToken), "image/png", entityTag: new EntityTagHeaderValue($"\"{Path.GetFileNameWithoutExtension(key)}\""));
    }
}
