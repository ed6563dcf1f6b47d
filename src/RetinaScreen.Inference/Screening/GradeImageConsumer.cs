using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Screening;
using RetinaScreen.Data.Storage;
using RetinaScreen.Hosting;
using RetinaScreen.Screening;

namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Grades one stored photograph: verify the bytes are the ones ingest recorded, check gradability, run the DR
/// model, and record the prediction with the model's identity. Idempotent: a redelivered message, or the same
/// instance arriving twice, produces one prediction per (instance, model version).
/// </summary>
public sealed partial class GradeImageConsumer(
    RetinaScreenDbContext db,
    IObjectStore objectStore,
    FundusPhotographGrader grader,
    ScreeningLifecycle lifecycle,
    TimeProvider clock,
    ILogger<GradeImageConsumer> logger) : IConsumer<ImageReceived>
{
    public async Task Consume(ConsumeContext<ImageReceived> context)
    {
        var message = context.Message;
        // Whole slides go to the metastasis analysis (AnalyzeSlideConsumer), never to the fundus grader.
        if (message.SopClassUid == RetinaScreen.Dicom.DicomUids.VlWholeSlideMicroscopyImage)
        {
            return;
        }

        var cancellationToken = context.CancellationToken;

        var instance = await db.Instances
            .Include(i => i.Series!).ThenInclude(s => s.Study!).ThenInclude(s => s.Screening)
            .FirstOrDefaultAsync(i => i.SopInstanceUid == message.SopInstanceUid, cancellationToken)
            ?? throw new InvalidOperationException("The instance named by the message is not recorded (yet); retrying.");

        var model = await EnsureModelVersionAsync(grader.Model, cancellationToken);
        if (await db.Predictions.AnyAsync(p => p.InstanceId == instance.Id && p.ModelVersionId == model.Id, cancellationToken))
        {
            LogAlreadyGraded(logger);
            return;
        }

        var grading = await GradeStoredObjectAsync(instance.StorageKey, instance.Sha256, cancellationToken);
        var outcome = grading.Outcome;
        var now = clock.GetUtcNow();
        var prediction = NewPrediction(
            outcome, instance.Id, model.Id, instance.Sha256, await StoreHeatmapAsync(outcome.HeatmapPng, cancellationToken), shadow: false, now);
        db.Predictions.Add(prediction);
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = now,
            Actor = $"model:{model.Name}/{model.Version}",
            Action = "prediction.created",
            EntityType = nameof(Prediction),
            EntityId = instance.SopInstanceUid,
            Details = JsonSerializer.Serialize(new
            {
                modelSha256 = model.Sha256,
                imageSha256 = instance.Sha256,
                gradable = prediction.Gradable,
                ungradableReason = prediction.UngradableReason,
                grade = prediction.Grade,
                referableDrScore = prediction.ReferableDrScore,
                referableDrThreshold = prediction.ReferableDrThreshold,
                referableDmeScore = prediction.ReferableDmeScore,
                referableDmeThreshold = prediction.ReferableDmeThreshold,
                preprocessMs = prediction.PreprocessMilliseconds,
                inferenceMs = prediction.InferenceMilliseconds,
                // The trace this grading belongs to: the same one as the arrival's "instance.received" record.
                traceId = Activity.Current?.TraceId.ToHexString(),
            }),
        });

        if (grading.Shadow is { } shadowOutcome && grader.ShadowModel is { } shadowIdentity)
        {
            await AddShadowPredictionAsync(instance.Id, instance.Sha256, shadowIdentity, shadowOutcome, now, cancellationToken);
        }

        var screening = instance.Series!.Study!.Screening!;
        try
        {
            // Both eyes of a visit are often graded at once, here or by another worker: the case's lock orders them.
            await lifecycle.RecordPhotographAsync(screening, model.Id, cancellationToken);
        }
        catch (DbUpdateException)
        {
            if (!await PredictionExistsAsync(instance.Id, model.Id))
            {
                throw;
            }

            // A concurrent delivery of the same message won the unique index: the work is done once.
            LogAlreadyGraded(logger);
            return;
        }

        // Counted only once committed, so a redelivered or lost-race message never counts twice.
        PipelineTelemetry.RecordPrediction(model.Name, model.Version, shadow: false, prediction.PreprocessMilliseconds, prediction.InferenceMilliseconds);
        if (grading.DecodeFailure is { } cause)
        {
            PipelineTelemetry.RecordScreeningFailure(cause);
            LogUndecodable(logger, cause);
        }

        LogGraded(logger, model.Name, model.Version, prediction.Gradable, prediction.InferenceMilliseconds);
    }

    /// <summary>
    /// One model's answer as a record: referable flags only for gradable photographs, and the thresholds applied are
    /// stored beside the scores so every decision can be re-derived.
    /// </summary>
    private static Prediction NewPrediction(
        GradingOutcome outcome, Guid instanceId, Guid modelVersionId, string imageSha256, string? heatmapKey, bool shadow, DateTimeOffset now) => new()
    {
        InstanceId = instanceId,
        ModelVersionId = modelVersionId,
        Shadow = shadow,
        Gradable = outcome.Gradable,
        UngradableReason = outcome.UngradableReason,
        Grade = outcome.Gradable ? outcome.Grade : null,
        GradeProbabilities = outcome.GradeProbabilities,
        ReferableDrScore = outcome.ReferableDrScore,
        ReferableDmeScore = outcome.ReferableDmeScore,
        ReferableDrThreshold = outcome.ReferableDrThreshold,
        ReferableDmeThreshold = outcome.ReferableDmeThreshold,
        ReferableDr = outcome.Gradable && outcome.ReferableDr,
        ReferableDme = outcome.Gradable && outcome.ReferableDme,
        ImageSha256 = imageSha256,
        HeatmapKey = heatmapKey,
        HeatmapX = heatmapKey is null ? null : outcome.FieldBox?.X,
        HeatmapY = heatmapKey is null ? null : outcome.FieldBox?.Y,
        HeatmapWidth = heatmapKey is null ? null : outcome.FieldBox?.Width,
        HeatmapHeight = heatmapKey is null ? null : outcome.FieldBox?.Height,
        PreprocessMilliseconds = outcome.Preprocess.TotalMilliseconds,
        InferenceMilliseconds = outcome.Inference.TotalMilliseconds,
        CreatedAt = now,
    };

    /// <summary>Stores the heatmap overlay beside the image (content-addressed, so a regraded image shares it).</summary>
    private async Task<string?> StoreHeatmapAsync(byte[]? png, CancellationToken cancellationToken) =>
        png is null ? null : await objectStore.PutBytesAsync(png, ".png", cancellationToken);

    /// <summary>The candidate model's answer, stored for comparison only: flagged shadow, left out of the screening.</summary>
    private async Task AddShadowPredictionAsync(Guid instanceId, string imageSha256, Models.ModelIdentity identity, GradingOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var model = await EnsureModelVersionAsync(identity, cancellationToken);
        if (await db.Predictions.AnyAsync(p => p.InstanceId == instanceId && p.ModelVersionId == model.Id, cancellationToken))
        {
            return;
        }

        db.Predictions.Add(NewPrediction(
            outcome, instanceId, model.Id, imageSha256, await StoreHeatmapAsync(outcome.HeatmapPng, cancellationToken), shadow: true, now));
    }

    private async Task<PhotographGrading> GradeStoredObjectAsync(string storageKey, string expectedSha256, CancellationToken cancellationToken)
    {
        // Verify the bytes before trusting them: what the model sees must be what ingest recorded.
        var staging = Path.GetTempFileName();
        try
        {
            await objectStore.CopyVerifiedToFileAsync(storageKey, expectedSha256, staging, cancellationToken);
            return await grader.GradeAsync(staging, cancellationToken);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    private Task<ModelVersion> EnsureModelVersionAsync(Models.ModelIdentity identity, CancellationToken cancellationToken) =>
        Models.ModelVersionRegistry.EnsureAsync(db, identity, clock.GetUtcNow(), cancellationToken);


    private async Task<bool> PredictionExistsAsync(Guid instanceId, Guid modelId)
    {
        db.ChangeTracker.Clear();
        return await db.Predictions.AnyAsync(p => p.InstanceId == instanceId && p.ModelVersionId == modelId);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Graded an instance with {ModelName} {ModelVersion}: gradable {Gradable}, inference {InferenceMs:F1} ms")]
    private static partial void LogGraded(ILogger logger, string modelName, string modelVersion, bool gradable, double inferenceMs);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "A photograph could not be decoded whole ({Cause}); recorded as ungradable, not graded")]
    private static partial void LogUndecodable(ILogger logger, string cause);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Instance already graded by this model version; nothing to do")]
    private static partial void LogAlreadyGraded(ILogger logger);
}
