using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Identity;
using RetinaScreen.Data.Storage;

namespace RetinaScreen.Inference.Heatmaps;

/// <summary><c>GET /api/predictions/{id}/heatmap</c>: the PNG overlay of one prediction, for graders and administrators.</summary>
internal static class GetPredictionHeatmap
{
    /// <summary>The portal's claim for a user who must still change a generated password; such a user reads nothing.</summary>
    private const string MustChangePasswordClaim = "retinascreen:must_change_password";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/predictions/{id:guid}/heatmap", HandleAsync)
            .RequireAuthorization(policy => policy
                .RequireAuthenticatedUser()
                .RequireRole(Roles.Grader, Roles.Adjudicator, Roles.Admin)
                .RequireAssertion(context => !context.User.HasClaim(MustChangePasswordClaim, "true")))
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
        return TypedResults.File(await objectStore.OpenReadAsync(key, cancellationToken), "image/png", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{Path.GetFileNameWithoutExtension(key)}\""));
    }
}
