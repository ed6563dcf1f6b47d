using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using Microsoft.Net.Http.Headers;
using RetinaScreen.Data.Pathology;
using RetinaScreen.Data.Storage;
using RetinaScreen.Dicom;
using RetinaScreen.Hosting.Security;

namespace RetinaScreen.Portal.Slides;

/// <summary>
/// <c>GET /api/slides/{sopInstanceUid}</c>: a whole slide's metastasis analysis (status, progress while it runs, then the
/// probability, the operating point, the model and the top regions), and <c>GET /api/slides/{sopInstanceUid}/heatmap</c>,
/// its PNG. For whoever may read cases, as the case view that links them.
/// </summary>
internal static class GetSlideAnalysis
{
    private static readonly JsonSerializerOptions RegionJson = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/slides/{sopInstanceUid}", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetSlideAnalysis")
            .WithTags("Slides");
        api.MapGet("/slides/{sopInstanceUid}/heatmap", HeatmapAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetSlideHeatmap")
            .WithTags("Slides")
            .Produces(StatusCodes.Status200OK, contentType: "image/png");
    }

    private static async Task<Results<Ok<SlideAnalysisResponse>, ProblemHttpResult>> HandleAsync(
        string sopInstanceUid, RetinaScreenDbContext db, CancellationToken cancellationToken)
    {
        var instance = await db.Instances.AsNoTracking()
            .Where(i => i.SopInstanceUid == sopInstanceUid)
            .Select(i => new { i.Id, i.SopClassUid, i.Sha256, StudyInstanceUid = i.Series!.Study!.StudyInstanceUid })
            .FirstOrDefaultAsync(cancellationToken);
        if (instance is null || instance.SopClassUid != DicomUids.VlWholeSlideMicroscopyImage)
        {
            return NotFound("Slide not found", "No VL Whole Slide Microscopy image with this SOP Instance UID has been received.");
        }

        // Several model versions may have analysed the slide; the newest analysis is the one shown.
        var analysis = await db.SlideAnalyses.AsNoTracking()
            .Include(a => a.ModelVersion)
            .Where(a => a.InstanceId == instance.Id)
            .OrderByDescending(a => a.StartedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (analysis is null)
        {
            return TypedResults.Ok(new SlideAnalysisResponse(
                sopInstanceUid, instance.StudyInstanceUid, instance.Sha256, "Queued", new SlideProgressResponse(0, 0, 0, 0),
                null, null, null, null, [], null, null, null, null));
        }

        var regions = analysis.TopRegions is { Length: > 0 } json
            ? JsonSerializer.Deserialize<List<SlideRegion>>(json, RegionJson) ?? []
            : [];
        var fraction = analysis.TilesTotal > 0 ? Math.Round(analysis.TilesAnalysed / (double)analysis.TilesTotal, 4) : 0;
        return TypedResults.Ok(new SlideAnalysisResponse(
            sopInstanceUid,
            instance.StudyInstanceUid,
            analysis.ImageSha256,
            analysis.Status.ToString(),
            new SlideProgressResponse(analysis.TilesAnalysed, analysis.TilesTotal, analysis.TissuePatches, fraction),
            analysis.Probability,
            analysis.Positive,
            analysis.Status == SlideAnalysisStatus.Completed ? new SlideOperatingPointResponse("slide", analysis.Threshold) : null,
            analysis.ModelVersion is { } model ? new SlideModelResponse(model.Name, model.Version, model.Sha256) : null,
            regions,
            analysis.HeatmapKey is null ? null : $"/api/slides/{Uri.EscapeDataString(sopInstanceUid)}/heatmap",
            analysis.StartedAt,
            analysis.CompletedAt,
            analysis.FailureReason));
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> HeatmapAsync(
        string sopInstanceUid, RetinaScreenDbContext db, IObjectStore objectStore, CancellationToken cancellationToken)
    {
        var key = await db.SlideAnalyses.AsNoTracking()
            .Where(a => a.Instance!.SopInstanceUid == sopInstanceUid && a.HeatmapKey != null)
            .OrderByDescending(a => a.StartedAt)
            .Select(a => a.HeatmapKey)
            .FirstOrDefaultAsync(cancellationToken);
        if (key is null || !await objectStore.ExistsAsync(key, cancellationToken))
        {
            return NotFound("Heatmap not found", "The slide does not exist or its analysis has not completed.");
        }

        // Content-addressed: the bytes behind a key never change, so clients may cache them for good.
        return TypedResults.File(await objectStore.OpenReadAsync(key, cancellationToken), "image/png", entityTag: new EntityTagHeaderValue($"\"{Path.GetFileNameWithoutExtension(key)}\""));
    }

    private static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail);
}

/// <summary>A slide's analysis as <c>GET /api/slides/{sopInstanceUid}</c> returns it. Status: Queued, Running,
/// Completed or Failed.</summary>
public sealed record SlideAnalysisResponse(
    string SopInstanceUid,
    string StudyInstanceUid,
    string ImageSha256,
    string Status,
    SlideProgressResponse Progress,
    double? Probability,
    bool? Positive,
    SlideOperatingPointResponse? OperatingPoint,
    SlideModelResponse? Model,
    IReadOnlyList<SlideRegion> TopRegions,
    string? HeatmapUrl,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? FailureReason);

public sealed record SlideProgressResponse(int TilesAnalysed, int TilesTotal, int TissuePatches, double Fraction);

public sealed record SlideOperatingPointResponse(string Name, double Threshold);

public sealed record SlideModelResponse(string Name, string Version, string Sha256);

/// <summary>One of the model's most suspicious regions, in slide pixels, as the analysis stored it.</summary>
public sealed record SlideRegion(int X, int Y, int Width, int Height, double Probability);
