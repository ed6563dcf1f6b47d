using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Identity;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Pathology;
using RetinaScreen.Data.Screening;
using RetinaScreen.Dicom;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Portal.Accounts;
using RetinaScreen.Portal.Slides;
using RetinaScreen.Portal.Studies;


namespace RetinaScreen.Portal.ReadingRoom;

/// <summary>
/// <c>GET /api/cases/{studyInstanceUid}</c>: the case view. Opening a case is a PHI access and is audited. On a
/// blind-first case the model's output stays hidden from a reader until they have submitted their own reading.
/// </summary>
internal static class GetCase
{
    private const int MaxPriors = 10;
    private static readonly JsonSerializerOptions RegionJson = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/cases/{studyInstanceUid}", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetCase")
            .WithTags("Reading");

    private static async Task<Results<Ok<CaseResponse>, ProblemHttpResult>> HandleAsync(
        string studyInstanceUid,
        ClaimsPrincipal principal,
        RetinaScreenDbContext db,
        SlidePyramid pyramids,
        AuditTrail audit,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var reader = ReaderIdentity.From(principal);
        var study = await db.Studies.AsNoTracking()
            .Include(s => s.Patient)
            .Include(s => s.Screening)
            .SingleOrDefaultAsync(s => s.StudyInstanceUid == studyInstanceUid, cancellationToken);
        if (study?.Screening is not { } screening)
        {
            return CaseProblems.From(Screening.CaseRefusal.NotFound, "No screening case has this Study Instance UID.");
        }

        var readings = await db.Readings.AsNoTracking()
            .Where(r => r.ScreeningCaseId == screening.Id)
            .OrderBy(r => r.SubmittedAt)
            .ToListAsync(cancellationToken);
        var isAdmin = reader.Roles.Contains(Roles.Admin);
        var readByCaller = readings.Any(r => r.ReaderId == reader.Id);
        // The adjudicator compares everything; a reader of a blind-first case sees the model once they have committed.
        var modelHidden = screening.Blind && !readByCaller && !isAdmin && screening.FinalisedAt is null
                          && screening.Queue is not ReadingQueue.Adjudication;
        var allReadingsVisible = isAdmin || screening.FinalisedAt is not null || screening.Queue == ReadingQueue.Adjudication;
        var visible = readings.Where(r => allReadingsVisible || r.ReaderId == reader.Id).ToList();
        var names = await ReaderNamesAsync(db, visible, cancellationToken);

        var now = clock.GetUtcNow();
        var images = await db.Instances.AsNoTracking()
            .Where(i => i.Series!.StudyId == study.Id)
            .OrderBy(i => i.ReceivedAt).ThenBy(i => i.SopInstanceUid)
            .ToListAsync(cancellationToken);
        Dictionary<Guid, CaseModelResponse> eyes = modelHidden ? [] : await LatestPredictionsAsync(db, study.Id, cancellationToken);
        var slides = await SlidesAsync(db, pyramids, images, modelHidden, cancellationToken);

        await audit.TryAppendAsync(reader.Name, "case.opened", nameof(ScreeningCase), study.StudyInstanceUid, new
        {
            eventId = "DICOM Instances Accessed",
            outcome = "success",
            patientId = study.Patient!.PatientId,
            studyInstanceUid = study.StudyInstanceUid,
            instances = images.Count,
        }, cancellationToken);

        return TypedResults.Ok(new CaseResponse(
            study.StudyInstanceUid,
            screening.Kind.ToString(),
            new PatientResponse(study.Patient.PatientId, study.Patient.IssuerOfPatientId, study.Patient.Name, study.Patient.BirthDate, study.Patient.Sex),
            study.StudyDate,
            study.AccessionNumber,
            screening.Site ?? study.InstitutionName,
            screening.Device,
            screening.Status.ToString(),
            screening.Queue?.ToString(),
            screening.Priority,
            screening.ReceivedAt,
            screening.Blind,
            modelHidden,
            screening.ClaimedById is not null && screening.LeaseExpiresAt > now
                ? new CaseClaimResponse(screening.ClaimedById == reader.Id, screening.ClaimedAt!.Value, screening.LeaseExpiresAt.Value)
                : null,
            modelHidden ? null : new ModelSummaryResponse(screening.WorstGrade, screening.ReferableDr, screening.ReferableDme, screening.AnyUngradable, screening.MetastasisPositive),
            [.. images.Where(i => i.SopClassUid != DicomUids.VlWholeSlideMicroscopyImage)
                .GroupBy(i => GetStudy.NormaliseLaterality(i.Laterality))
                .OrderBy(group => Array.IndexOf(GetStudy.LateralityOrder, group.Key))
                .Select(group => new CaseEyeResponse(group.Key, [.. group.Select(i => new CaseImageResponse(
                    i.SopInstanceUid, i.Rows, i.Columns, $"/api/instances/{Uri.EscapeDataString(i.SopInstanceUid)}/image",
                    eyes.GetValueOrDefault(i.Id)))]))],
            slides,
            [.. visible.Select(r => ToResponse(r, names))],
            screening.FinalisedAt is { } finalisedAt
                ? new FinalResponse(screening.FinalSource!.Value.ToString(), screening.FinalReferral?.ToString(), screening.FinalMetastasis, finalisedAt)
                : null,
            await PriorsAsync(db, study, cancellationToken))
        {
            FailureReason = screening.FailureReason,
        });
    }

    private static async Task<Dictionary<Guid, CaseModelResponse>> LatestPredictionsAsync(RetinaScreenDbContext db, Guid studyId, CancellationToken cancellationToken)
    {
        var predictions = await db.Predictions.AsNoTracking()
            .Include(p => p.ModelVersion)
            .Where(p => !p.Shadow && p.Instance!.Series!.StudyId == studyId) // shadow models are compared, never shown
            .ToListAsync(cancellationToken);
        // Several model versions may have graded the same photograph; the newest decision is the one shown.
        return predictions
            .GroupBy(p => p.InstanceId)
            .Select(group => group.MaxBy(p => p.CreatedAt)!)
            .ToDictionary(p => p.InstanceId, p => new CaseModelResponse(
                p.Gradable, p.UngradableReason, p.Grade, IcdrGrade.Name(p.Grade), p.GradeProbabilities,
                p.ReferableDrScore, p.ReferableDrThreshold, p.ReferableDr, p.ReferableDmeScore, p.ReferableDmeThreshold, p.ReferableDme,
                new ModelResponse(p.ModelVersion!.Name, p.ModelVersion.Version, p.ModelVersion.Sha256),
                p.HeatmapKey is null ? null : $"/api/predictions/{p.Id}/heatmap",
                p is { HeatmapX: { } x, HeatmapY: { } y, HeatmapWidth: { } w, HeatmapHeight: { } h } ? new PixelBox(x, y, w, h) : null));
    }

    private static async Task<List<CaseSlideResponse>> SlidesAsync(
        RetinaScreenDbContext db, SlidePyramid pyramids, List<Instance> images, bool modelHidden, CancellationToken cancellationToken)
    {
        var slides = images.Where(i => i.SopClassUid == DicomUids.VlWholeSlideMicroscopyImage).ToList();
        if (slides.Count == 0)
        {
            return [];
        }

        var ids = slides.Select(s => s.Id).ToList();
        Dictionary<Guid, SlideAnalysis> analyses = modelHidden
            ? []
            : (await db.SlideAnalyses.AsNoTracking().Include(a => a.ModelVersion)
                .Where(a => ids.Contains(a.InstanceId))
                .ToListAsync(cancellationToken))
                .GroupBy(a => a.InstanceId)
                .ToDictionary(group => group.Key, group => group.MaxBy(a => a.StartedAt)!);
        var result = new List<CaseSlideResponse>(slides.Count);
        foreach (var slide in slides)
        {
            var uid = Uri.EscapeDataString(slide.SopInstanceUid);
            var pyramid = await pyramids.DescribeAsync(slide.SopInstanceUid, cancellationToken);
            var analysis = analyses.GetValueOrDefault(slide.Id);
            result.Add(new CaseSlideResponse(
                slide.SopInstanceUid,
                pyramid?.Width,
                pyramid?.Height,
                pyramid?.TileSize,
                pyramid?.MaxLevel,
                $"/api/slides/{uid}/tiles",
                analysis?.HeatmapKey is null ? null : $"/api/slides/{uid}/heatmap",
                analysis is null ? null : ToResponse(analysis)));
        }

        return result;
    }

    private static CaseSlideAnalysisResponse ToResponse(SlideAnalysis analysis) => new(
        analysis.Status.ToString(),
        analysis.Probability,
        analysis.Threshold,
        analysis.Positive,
        new ModelResponse(analysis.ModelVersion!.Name, analysis.ModelVersion.Version, analysis.ModelVersion.Sha256),
        analysis.TopRegions is null ? [] : JsonSerializer.Deserialize<List<SlideRegionResponse>>(analysis.TopRegions, RegionJson) ?? [],
        analysis.FailureReason);

    private static async Task<Dictionary<string, string?>> ReaderNamesAsync(RetinaScreenDbContext db, List<Reading> readings, CancellationToken cancellationToken)
    {
        var ids = readings.Select(r => r.ReaderId).Distinct().ToList();
        return await db.Users.AsNoTracking()
            .Where(u => ids.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName ?? u.Email, cancellationToken);
    }

    internal static ReadingResponse ToResponse(Reading r, IReadOnlyDictionary<string, string?> names) => new(
        r.Id,
        r.Queue.ToString(),
        r.ReaderId,
        names.GetValueOrDefault(r.ReaderId),
        r.Blind,
        Eye(r.Right),
        Eye(r.Left),
        r.Referral?.ToString(),
        r.ComputedReferral?.ToString(),
        r.OverrideReason,
        r.Metastasis,
        r.MetastasisSize?.ToString(),
        r.Comment,
        r.AgreesWithModel,
        Math.Round(r.SecondsOnCase, 1),
        r.SubmittedAt);

    private static EyeReadingResponse? Eye(EyeReading? eye) =>
        eye is null ? null : new EyeReadingResponse(eye.Grade, eye.Dme, eye.Ungradable, eye.UngradableReason);

    /// <summary>The patient's other screenings, newest first: the reader compares them side by side on request.</summary>
    private static async Task<List<PriorResponse>> PriorsAsync(RetinaScreenDbContext db, Study study, CancellationToken cancellationToken)
    {
        var rows = await db.Screenings.AsNoTracking()
            .Where(c => c.Study!.PatientId == study.PatientId && c.StudyId != study.Id)
            .OrderByDescending(c => c.ReceivedAt)
            .Take(MaxPriors)
            .Select(c => new { c.Study!.StudyInstanceUid, c.Study.StudyDate, c.ReceivedAt, c.Status, c.WorstGrade, c.FinalReferral })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new PriorResponse(r.StudyInstanceUid, r.StudyDate, r.ReceivedAt, r.Status.ToString(), r.WorstGrade, r.FinalReferral?.ToString()))];
    }
}
