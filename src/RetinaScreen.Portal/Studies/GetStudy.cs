using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Screening;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Portal.Accounts;

namespace RetinaScreen.Portal.Studies;

/// <summary><c>GET /api/studies/{studyInstanceUid}</c>: the study, its screening, and both eyes' latest predictions.</summary>
internal static class GetStudy
{
    /// <summary>Right eye first, then left, then photographs whose laterality is unknown.</summary>
    internal static readonly string[] LateralityOrder = ["R", "L", "unknown"];

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/studies/{studyInstanceUid}", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadScreenings)
            .WithName("GetStudy")
            .WithTags("Studies");

    private static async Task<Results<Ok<StudyResponse>, ProblemHttpResult>> HandleAsync(
        string studyInstanceUid, RetinaScreenDbContext db, CancellationToken cancellationToken)
    {
        var study = await db.Studies.AsNoTracking()
            .Include(s => s.Patient)
            .Include(s => s.Screening)
            .SingleOrDefaultAsync(s => s.StudyInstanceUid == studyInstanceUid, cancellationToken);
        if (study is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Study not found",
                detail: "No study with this Study Instance UID has been received.");
        }

        var images = await db.Instances.AsNoTracking()
            .Where(i => i.Series!.StudyId == study.Id)
            .Select(i => new { i.Id, i.SopInstanceUid, SeriesInstanceUid = i.Series!.SeriesInstanceUid, i.Laterality, i.ReceivedAt, i.Sha256 })
            .ToListAsync(cancellationToken);
        var predictions = await db.Predictions.AsNoTracking()
            .Include(p => p.ModelVersion)
            .Where(p => !p.Shadow && p.Instance!.Series!.StudyId == study.Id) // shadow models are compared, never shown
            .ToListAsync(cancellationToken);
        // Several model versions may have graded the same photograph; the newest decision is the one shown.
        var latest = predictions
            .GroupBy(p => p.InstanceId)
            .ToDictionary(group => group.Key, group => group.MaxBy(p => p.CreatedAt)!);

        var eyes = images
            .GroupBy(image => NormaliseLaterality(image.Laterality))
            .OrderBy(group => Array.IndexOf(LateralityOrder, group.Key))
            .Select(group => new EyeResponse(group.Key, group
                .OrderBy(image => image.ReceivedAt)
                .ThenBy(image => image.SopInstanceUid, StringComparer.Ordinal)
                .Select(image => new ImageResponse(
                    image.SopInstanceUid,
                    image.SeriesInstanceUid,
                    image.ReceivedAt,
                    image.Sha256,
                    latest.TryGetValue(image.Id, out var prediction) ? ToResponse(prediction) : null))
                .ToList()))
            .ToList();

        var screening = study.Screening;
        return TypedResults.Ok(new StudyResponse(
            study.StudyInstanceUid,
            study.Patient!.PatientId,
            study.Patient.IssuerOfPatientId,
            study.Patient.Name,
            study.StudyDate,
            study.AccessionNumber,
            study.InstitutionName,
            screening?.ReceivedAt ?? study.FirstReceivedAt,
            screening?.Status.ToString(),
            screening?.QualityCheckedAt,
            screening?.GradedAt,
            screening?.ReviewedAt,
            screening?.WorstGrade,
            IcdrGrade.Name(screening?.WorstGrade),
            screening?.ReferableDr,
            screening?.ReferableDme,
            screening?.AnyUngradable ?? false,
            eyes)
        {
            FailureReason = screening?.FailureReason,
        });
    }

    internal static string NormaliseLaterality(string? laterality) =>
        laterality?.Trim().ToUpperInvariant() switch
        {
            "R" => "R",
            "L" => "L",
            _ => "unknown",
        };

    private static PredictionResponse ToResponse(Prediction p) => new(
        p.Gradable,
        p.UngradableReason,
        p.Grade,
        IcdrGrade.Name(p.Grade),
        p.GradeProbabilities,
        p.ReferableDrScore,
        p.ReferableDmeScore,
        p.ReferableDrThreshold,
        p.ReferableDmeThreshold,
        p.ReferableDr,
        p.ReferableDme,
        new ModelResponse(p.ModelVersion!.Name, p.ModelVersion.Version, p.ModelVersion.Sha256),
        p.ImageSha256,
        p.PreprocessMilliseconds,
        p.InferenceMilliseconds,
        p.CreatedAt)
    {
        Id = p.Id,
        HeatmapUrl = p.HeatmapKey is null ? null : $"/api/predictions/{p.Id}/heatmap",
    };
}
