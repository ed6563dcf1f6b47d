using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Outbox;
using RetinaScreen.Dicom;
using RetinaScreen.Screening;
using RetinaScreen.Data.Storage;
using RetinaScreen.Hosting;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// The one use case every arrival path shares: validate a Part 10 file, store it once, record it, and publish
/// it for grading. Success is reported only after the object is durably stored and its arrival committed.
/// </summary>
public sealed partial class InstanceIngestor(
    IDbContextFactory<RetinaScreenDbContext> dbFactory,
    IObjectStore objectStore,
    OutboxSignal outboxSignal,
    TimeProvider clock,
    DiskWatermark diskWatermark,
    ILogger<InstanceIngestor> logger) : IDisposable
{
    /// <summary>
    /// SQLite has one writer at a time, and a writer waiting in its busy handler sleeps in steps of up to 100 ms on a
    /// blocked thread; on two cores that starved the thread pool with eight senders. Arrivals queue here instead,
    /// asynchronously, and each takes the lock the moment the previous commit ends.
    /// </summary>
    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);

    /// <summary>The provider never changes while the process runs; asking EF every arrival cost a service lookup.</summary>
    private bool? _isSqlite;

    // Compiled once: EF otherwise compares each query's expression tree with its cache on every call, which was a
    // visible share of the CPU an arrival costs at eight parallel senders on two cores.
    private static readonly Func<RetinaScreenDbContext, string, CancellationToken, Task<bool>> InstanceExists =
        EF.CompileAsyncQuery((RetinaScreenDbContext db, string sopInstanceUid, CancellationToken _) =>
            db.Instances.Any(i => i.SopInstanceUid == sopInstanceUid));

    private static readonly Func<RetinaScreenDbContext, string, string, CancellationToken, Task<Patient?>> PatientById =
        EF.CompileAsyncQuery((RetinaScreenDbContext db, string patientId, string issuer, CancellationToken _) =>
            db.Patients.FirstOrDefault(p => p.PatientId == patientId && p.IssuerOfPatientId == issuer));

    private static readonly Func<RetinaScreenDbContext, string, CancellationToken, Task<Study?>> StudyByUid =
        EF.CompileAsyncQuery((RetinaScreenDbContext db, string studyInstanceUid, CancellationToken _) =>
            db.Studies.Include(s => s.Screening).FirstOrDefault(s => s.StudyInstanceUid == studyInstanceUid));

    private static readonly Func<RetinaScreenDbContext, string, CancellationToken, Task<Series?>> SeriesByUid =
        EF.CompileAsyncQuery((RetinaScreenDbContext db, string seriesInstanceUid, CancellationToken _) =>
            db.Series.FirstOrDefault(s => s.SeriesInstanceUid == seriesInstanceUid));

    public void Dispose() => _sqliteWriter.Dispose();

    public async Task<IngestOutcome> IngestAsync(IngestRequest request, CancellationToken cancellationToken)
    {
        // The root of the instance's trace: the outbox row carries it on to grading in another process.
        using var activity = PipelineTelemetry.Source.StartActivity("ingest instance", ActivityKind.Server);
        var started = Stopwatch.GetTimestamp();
        var result = "failed";
        try
        {
            var outcome = await IngestOwnedFileAsync(request, cancellationToken);
            result = outcome.Result.ToString();
            return outcome;
        }
        finally
        {
            PipelineTelemetry.IngestDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("result", result));

            // Whatever happened, the arrival file is consumed: stored objects were moved into the store.
            TryDelete(request.Part10FilePath);
        }
    }

    private async Task<IngestOutcome> IngestOwnedFileAsync(IngestRequest request, CancellationToken cancellationToken)
    {
        if (!diskWatermark.HasRoom())
        {
            LogRejected(logger, request.Source, "disk-watermark", null);
            return new IngestOutcome(IngestResult.OutOfResources, Reason: "Storage is below its free-space watermark.");
        }

        var header = InstanceHeader.TryRead(request.Part10FilePath, out var unreadableReason);
        if (header is null)
        {
            LogRejected(logger, request.Source, "unreadable", unreadableReason);
            return new IngestOutcome(IngestResult.RejectedUnreadable, Reason: unreadableReason);
        }

        // A dataset that contradicts its own C-STORE command is "does not match", whatever its class.
        var invalid = header.Validate(request.DeclaredSopClassUid, request.DeclaredSopInstanceUid, request.ExpectedStudyInstanceUid);
        if (invalid is not null)
        {
            LogRejected(logger, request.Source, "invalid", invalid);
            return new IngestOutcome(IngestResult.RejectedInvalid, header.SopInstanceUid, invalid) { SopClassUid = header.SopClassUid };
        }

        if (!AcceptedSopClasses.Stored.Contains(header.SopClassUid))
        {
            LogRejected(logger, request.Source, "sop-class", header.SopClassUid);
            return new IngestOutcome(IngestResult.RejectedSopClass, header.SopInstanceUid, $"SOP class {header.SopClassUid} is not accepted.") { SopClassUid = header.SopClassUid };
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (await InstanceExists(db, header.SopInstanceUid, cancellationToken))
            {
                LogDuplicate(logger, request.Source);
                return new IngestOutcome(IngestResult.Duplicate, header.SopInstanceUid) { SopClassUid = header.SopClassUid };
            }
        }

        StoredObject stored;
        try
        {
            stored = request.Sha256 is { } sha256
                ? await objectStore.PutHashedFileAsync(request.Part10FilePath, sha256, ".dcm", cancellationToken)
                : await objectStore.PutFileAsync(request.Part10FilePath, ".dcm", cancellationToken);
        }
        catch (IOException ex)
        {
            LogStorageFailed(logger, ex);
            return new IngestOutcome(IngestResult.OutOfResources, header.SopInstanceUid, "The object store could not take the object.") { SopClassUid = header.SopClassUid };
        }

        var receivedAt = clock.GetUtcNow();
        try
        {
            // The message is written in the arrival's own transaction (outbox): recorded and published cannot drift.
            var received = new ImageReceived
            {
                SopInstanceUid = header.SopInstanceUid,
                SopClassUid = header.SopClassUid,
                StudyInstanceUid = header.StudyInstanceUid,
                StorageKey = stored.Key,
                Sha256 = stored.Sha256,
                ReceivedAt = receivedAt,
            };
            var recorded = await RecordAsync(header, stored, request, receivedAt, received, cancellationToken);
            if (!recorded)
            {
                // Another association stored the same instance a moment earlier: same answer as a re-send.
                LogDuplicate(logger, request.Source);
                return new IngestOutcome(IngestResult.Duplicate, header.SopInstanceUid) { SopClassUid = header.SopClassUid };
            }
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or TimeoutException)
        {
            // Nothing of this arrival was committed; tell the sender to try again. The stored object stays: the same
            // instance sent at this moment over another association has the same bytes and so the same key, and may
            // be committing now; deleting here could take the object from under an answered success. A retry reuses
            // the object, and one that nobody records is removed by the orphan sweeper after its grace age.
            LogRecordFailed(logger, ex);
            return new IngestOutcome(IngestResult.OutOfResources, header.SopInstanceUid, "The database could not record the object.") { SopClassUid = header.SopClassUid };
        }

        outboxSignal.Notify();

        LogStored(logger, request.Source, stored.SizeBytes);
        return new IngestOutcome(IngestResult.Stored, header.SopInstanceUid) { SopClassUid = header.SopClassUid };
    }

    /// <summary>Null for PostgreSQL, whose writers do not exclude one another.</summary>
    private async Task<IDisposable?> EnterSqliteWriterAsync(RetinaScreenDbContext db, CancellationToken cancellationToken)
    {
        _isSqlite ??= db.Database.IsSqlite();
        if (_isSqlite is false)
        {
            return null;
        }

        await _sqliteWriter.WaitAsync(cancellationToken);
        return new WriterLease(_sqliteWriter);
    }

    /// <returns>False when the instance turned out to be recorded already (a concurrent duplicate).</returns>
    private async Task<bool> RecordAsync(InstanceHeader header, StoredObject stored, IngestRequest request, DateTimeOffset receivedAt, ImageReceived received, CancellationToken cancellationToken)
    {
        // Two attempts: a unique-index conflict on patient/study/series means a concurrent arrival of the same
        // visit created the row first; the second attempt finds it.
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // Changes are detected once, just before saving: the audit guard and SaveChanges would each scan again.
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            using var writer = await EnterSqliteWriterAsync(db, cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            try
            {
                if (await InstanceExists(db, header.SopInstanceUid, cancellationToken))
                {
                    return false;
                }

                var patient = await PatientById(db, header.PatientId, header.IssuerOfPatientId, cancellationToken);
                if (patient is null)
                {
                    patient = new Patient { PatientId = header.PatientId, IssuerOfPatientId = header.IssuerOfPatientId };
                    db.Patients.Add(patient);
                }

                patient.Name = header.PatientName ?? patient.Name;
                patient.BirthDate = header.PatientBirthDate ?? patient.BirthDate;
                patient.Sex = header.PatientSex ?? patient.Sex;

                var study = await StudyByUid(db, header.StudyInstanceUid, cancellationToken);
                if (study is null)
                {
                    study = new Study
                    {
                        StudyInstanceUid = header.StudyInstanceUid,
                        Patient = patient,
                        StudyDate = header.StudyDate,
                        AccessionNumber = header.AccessionNumber,
                        Description = header.StudyDescription,
                        InstitutionName = header.InstitutionName,
                        FirstReceivedAt = receivedAt,
                    };
                    db.Studies.Add(study);
                }

                var graded = AcceptedSopClasses.Graded.Contains(header.SopClassUid);
                ScreeningLifecycle.RecordArrival(
                    study, slide: header.SopClassUid == DicomUids.VlWholeSlideMicroscopyImage, graded, request.Device ?? request.Source, receivedAt);

                var series = await SeriesByUid(db, header.SeriesInstanceUid, cancellationToken);
                if (series is null)
                {
                    series = new Series
                    {
                        SeriesInstanceUid = header.SeriesInstanceUid,
                        Study = study,
                        Modality = header.Modality,
                        Manufacturer = header.Manufacturer,
                        ManufacturerModelName = header.ManufacturerModelName,
                    };
                    db.Series.Add(series);
                }

                var instance = new Instance
                {
                    SopInstanceUid = header.SopInstanceUid,
                    SopClassUid = header.SopClassUid,
                    Series = series,
                    TransferSyntaxUid = header.TransferSyntaxUid,
                    Laterality = header.Laterality,
                    Rows = header.Rows,
                    Columns = header.Columns,
                    StorageKey = stored.Key,
                    Sha256 = stored.Sha256,
                    SizeBytes = stored.SizeBytes,
                    SourceAeTitle = request.Source,
                    SourceAddress = request.RemoteEndPoint?.Address.ToString(),
                    ReceivedAt = receivedAt,
                };
                db.Instances.Add(instance);

                db.AuditEvents.Add(new AuditEvent
                {
                    OccurredAt = receivedAt,
                    Actor = request.Source,
                    Action = "instance.received",
                    EntityType = nameof(Instance),
                    EntityId = header.SopInstanceUid,
                    // PS3.15 A.5.3.3 "DICOM Instances Transferred": who sent what from where (UIDs and hashes only).
                    Details = JsonSerializer.Serialize(new
                    {
                        outcome = "stored",
                        sourceAddress = request.RemoteEndPoint?.Address.ToString(),
                        sourceDevice = request.Device,
                        destination = request.Destination,
                        instanceCount = 1,
                        sopClassUid = header.SopClassUid,
                        studyInstanceUid = header.StudyInstanceUid,
                        transferSyntaxUid = header.TransferSyntaxUid,
                        sha256 = stored.Sha256,
                        sizeBytes = stored.SizeBytes,
                        // Joins this record to the grading's ("prediction.created") across processes.
                        traceId = Activity.Current?.TraceId.ToHexString(),
                    }),
                });

                // Only what a model can grade goes on to inference; the other accepted classes are kept for the record.
                if (graded)
                {
                    db.OutboxMessages.Add(new OutboxMessage
                    {
                        Type = typeof(ImageReceived).FullName!,
                        Payload = JsonSerializer.Serialize(received, JsonSerializerOptions.Web),
                        TraceParent = Activity.Current?.Id,
                        CreatedAt = receivedAt,
                    });
                }

                // On SQLite the commit fsyncs the write-ahead log: synchronous=FULL, SQLite's default, left so on
                // purpose. With NORMAL a WAL commit is not flushed, and a power cut could undo an arrival already
                // answered with success (the database would stay consistent, but the instance would be gone).
                db.ChangeTracker.DetectChanges();
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return true;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                LogRecordRetried(logger, attempt);
            }
        }
    }

    private sealed class WriterLease(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Temporary arrival files are also swept by the listener; never fail an answer over one.
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Stored an instance from {Source} ({SizeBytes} bytes)")]
    private static partial void LogStored(ILogger logger, string source, long sizeBytes);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Instance from {Source} was already stored; answered success without change")]
    private static partial void LogDuplicate(ILogger logger, string source);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Rejected an object from {Source}: {Category} ({Reason})")]
    private static partial void LogRejected(ILogger logger, string source, string category, string? reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Object store write failed")]
    private static partial void LogStorageFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Recording an arrival failed; the stored object stays for a retry or the orphan sweeper")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "Recording an arrival conflicted with a concurrent one (attempt {Attempt}); retrying")]
    private static partial void LogRecordRetried(ILogger logger, int attempt);
}
