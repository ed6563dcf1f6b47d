using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Pathology;
using RetinaScreen.Data.Screening;
using RetinaScreen.Data.Storage;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Hosting;
using RetinaScreen.Inference.Models;
using RetinaScreen.Screening;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// Analyses one stored whole-slide image for lymph-node metastases: verify the bytes are the ones ingest recorded, read
/// the slide tile by tile, record progress while it runs, then the slide probability, the operating point, the top
/// regions and a heatmap, with the model's identity. Other SOP classes are left to the fundus grader. Idempotent: one
/// analysis per (instance, model version); a redelivery of a finished one does nothing, and one that died mid-way starts
/// again on the same record.
/// </summary>
public sealed partial class AnalyzeSlideConsumer(
    RetinaScreenDbContext db,
    IObjectStore objectStore,
    SlideAnalyzerProvider analyzers,
    ScreeningLifecycle lifecycle,
    TimeProvider clock,
    ILogger<AnalyzeSlideConsumer> logger) : IConsumer<ImageReceived>
{
    private static readonly JsonSerializerOptions RegionJson = new(JsonSerializerDefaults.Web);

    public async Task Consume(ConsumeContext<ImageReceived> context)
    {
        var message = context.Message;
        if (message.SopClassUid != DicomUids.VlWholeSlideMicroscopyImage)
        {
            return;
        }

        var cancellationToken = context.CancellationToken;
        var instance = await db.Instances
            .Include(i => i.Series!).ThenInclude(s => s.Study!).ThenInclude(s => s.Screening)
            .FirstOrDefaultAsync(i => i.SopInstanceUid == message.SopInstanceUid, cancellationToken)
            ?? throw new InvalidOperationException("The instance named by the message is not recorded (yet); retrying.");

        var analyzer = analyzers.Analyzer;
        var model = await ModelVersionRegistry.EnsureAsync(db, analyzer.Detector.Identity, clock.GetUtcNow(), cancellationToken);
        var analysis = await StartAsync(instance, model, cancellationToken);
        if (analysis is null)
        {
            return;
        }

        var staging = Path.GetTempFileName();
        try
        {
            await objectStore.CopyVerifiedToFileAsync(instance.StorageKey, instance.Sha256, staging, cancellationToken);
            LogStarted(logger, model.Name, model.Version);
            SlideAnalysisResult result;
            try
            {
                result = await analyzer.AnalyzeFileAsync(staging, ProgressRecorder(analysis), cancellationToken);
            }
            catch (Exception e) when (e is DicomImagingException or DicomFormatException)
            {
                await FailAsync(instance, model, analysis, e, cancellationToken);
                return;
            }

            await CompleteAsync(instance, model, analysis, result, cancellationToken);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>The analysis record to work on, created Running; null when this model has already finished the slide, or
    /// when a concurrent delivery of the same message created the record first.</summary>
    private async Task<SlideAnalysis?> StartAsync(Instance instance, ModelVersion model, CancellationToken cancellationToken)
    {
        var analyses = db.SlideAnalyses;
        var existing = await analyses.FirstOrDefaultAsync(a => a.InstanceId == instance.Id && a.ModelVersionId == model.Id, cancellationToken);
        if (existing is { Status: SlideAnalysisStatus.Completed or SlideAnalysisStatus.Failed })
        {
            LogAlreadyAnalysed(logger);
            return null;
        }

        var now = clock.GetUtcNow();
        if (existing is not null)
        {
            // A worker stopped mid-way (crash, shutdown, a retried failure): start again on the same record.
            existing.TilesAnalysed = 0;
            existing.TissuePatches = 0;
            existing.StartedAt = now;
            existing.ProgressAt = now;
            await db.SaveChangesAsync(cancellationToken);
            return existing;
        }

        var created = new SlideAnalysis
        {
            InstanceId = instance.Id,
            ModelVersionId = model.Id,
            Status = SlideAnalysisStatus.Running,
            ImageSha256 = instance.Sha256,
            StartedAt = now,
            ProgressAt = now,
        };
        analyses.Add(created);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return created;
        }
        catch (DbUpdateException)
        {
            // A concurrent delivery of the same message won the unique index: it does the work.
            db.Entry(created).State = EntityState.Detached;
            LogAlreadyAnalysed(logger);
            return null;
        }
    }

    /// <summary>Records progress while the slide is read, at most once per configured interval (and on the last tile).</summary>
    private Func<SlideProgress, CancellationToken, ValueTask> ProgressRecorder(SlideAnalysis analysis)
    {
        var interval = TimeSpan.FromMilliseconds(analyzers.Options.ProgressIntervalMilliseconds);
        var last = Stopwatch.GetTimestamp();
        return async (progress, cancellationToken) =>
        {
            analysis.TilesTotal = progress.TilesTotal;
            var first = analysis.TilesAnalysed == 0;
            if (!first && progress.TilesAnalysed < progress.TilesTotal && Stopwatch.GetElapsedTime(last) < interval)
            {
                return;
            }

            analysis.TilesAnalysed = progress.TilesAnalysed;
            analysis.TissuePatches = progress.TissuePatches;
            analysis.ProgressAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            last = Stopwatch.GetTimestamp();
        };
    }

    private async Task CompleteAsync(Instance instance, ModelVersion model, SlideAnalysis analysis, SlideAnalysisResult result, CancellationToken cancellationToken)
    {
        var heatmapKey = await objectStore.PutBytesAsync(SlideHeatmap.RenderPng(result), ".png", cancellationToken);
        var now = clock.GetUtcNow();
        analysis.Status = SlideAnalysisStatus.Completed;
        analysis.TilesTotal = result.TilesTotal;
        analysis.TilesAnalysed = result.TilesAnalysed;
        analysis.TissuePatches = result.TissuePatches;
        analysis.Probability = result.Probability;
        analysis.Threshold = result.Threshold;
        analysis.Positive = result.Positive;
        analysis.HeatmapKey = heatmapKey;
        analysis.TopRegions = JsonSerializer.Serialize(result.TopRegions, RegionJson);
        analysis.InferenceMilliseconds = result.Inference.TotalMilliseconds;
        analysis.ProgressAt = now;
        analysis.CompletedAt = now;
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = now,
            Actor = $"model:{model.Name}/{model.Version}",
            Action = "prediction.created",
            EntityType = nameof(SlideAnalysis),
            EntityId = instance.SopInstanceUid,
            Details = JsonSerializer.Serialize(new
            {
                modelSha256 = model.Sha256,
                imageSha256 = instance.Sha256,
                slideProbability = result.Probability,
                slideThreshold = result.Threshold,
                positive = result.Positive,
                tilesTotal = result.TilesTotal,
                tissuePatches = result.TissuePatches,
                topRegions = result.TopRegions,
                elapsedMs = result.Elapsed.TotalMilliseconds,
                inferenceMs = result.Inference.TotalMilliseconds,
            }, RegionJson),
        });

        await SaveWithScreeningAsync(instance, model, cancellationToken);
        PipelineTelemetry.RecordPrediction(model.Name, model.Version, shadow: false, (result.Elapsed - result.Inference).TotalMilliseconds, result.Inference.TotalMilliseconds);
        LogAnalysed(logger, model.Name, model.Version, result.TilesTotal, result.TissuePatches, result.Positive, result.Elapsed.TotalMilliseconds);
    }

    /// <summary>A slide that cannot be read is not retried (it will not become readable); a person must look at it.</summary>
    private async Task FailAsync(Instance instance, ModelVersion model, SlideAnalysis analysis, Exception error, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var reason = error.Message.Length > 500 ? error.Message[..500] : error.Message;
        analysis.Status = SlideAnalysisStatus.Failed;
        analysis.FailureReason = reason;
        analysis.CompletedAt = now;
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = now,
            Actor = $"model:{model.Name}/{model.Version}",
            Action = "slide-analysis.failed",
            EntityType = nameof(SlideAnalysis),
            EntityId = instance.SopInstanceUid,
            Details = JsonSerializer.Serialize(new { modelSha256 = model.Sha256, imageSha256 = instance.Sha256, reason }, RegionJson),
        });
        await SaveWithScreeningAsync(instance, model, cancellationToken);
        LogFailed(logger, model.Name, model.Version, error.GetType().Name);
    }

    /// <summary>Saves the analysis (and its audit record) with the slide study's case, which the screening module routes.</summary>
    private async Task SaveWithScreeningAsync(Instance instance, ModelVersion model, CancellationToken cancellationToken)
    {
        if (instance.Series?.Study?.Screening is { } screening)
        {
            await lifecycle.RecordSlideAsync(screening, model.Id, cancellationToken);
        }
        else
        {
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 2420, Level = LogLevel.Information, Message = "Analysing a whole slide with {ModelName} {ModelVersion}")]
    private static partial void LogStarted(ILogger logger, string modelName, string modelVersion);

    [LoggerMessage(EventId = 2421, Level = LogLevel.Information, Message = "Analysed a whole slide with {ModelName} {ModelVersion}: {Tiles} tiles, {TissuePatches} tissue patches, positive {Positive}, {ElapsedMs:F0} ms")]
    private static partial void LogAnalysed(ILogger logger, string modelName, string modelVersion, int tiles, int tissuePatches, bool positive, double elapsedMs);

    [LoggerMessage(EventId = 2422, Level = LogLevel.Information, Message = "Slide already analysed (or being analysed) by this model version; nothing to do")]
    private static partial void LogAlreadyAnalysed(ILogger logger);

    [LoggerMessage(EventId = 2423, Level = LogLevel.Warning, Message = "Could not analyse a whole slide with {ModelName} {ModelVersion}: {ErrorType}; it goes to review")]
    private static partial void LogFailed(ILogger logger, string modelName, string modelVersion, string errorType);
}
