using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Outbox;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Network;
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
    ObjectSizeLimits sizeLimits,
    IOptions<DicomServerOptions> receiving,
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
    private static readonly Func<RetinaScreenDbContext, string, CancellationToken, Task<StoredInstanceKey?>> StoredInstanceByUid =
        EF.CompileAsyncQuery((RetinaScreenDbContext db, string sopInstanceUid, CancellationToken _) =>
            db.Instances.Where(i => i.SopInstanceUid == sopInstanceUid).Select(i => new StoredInstanceKey(i.Id, i.Sha256)).FirstOrDefault());

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

        var header = InstanceHeader.TryRead(request.Part10FilePath, sizeLimits.MaxBytes(request.DeclaredSopClassUid), out var unreadableReason);
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
            // A malformed UID is not echoed: it may be anything, of any length.
            return new IngestOutcome(IngestResult.RejectedInvalid, header.HasValidSopInstanceUid ? header.SopInstanceUid : null, invalid)
            {
                SopClassUid = header.HasValidSopClassUid ? header.SopClassUid : null,
            };
        }

        if (!AcceptedSopClasses.Stored.Contains(header.SopClassUid))
        {
            LogRejected(logger, request.Source, "sop-class", header.SopClassUid);
            return new IngestOutcome(IngestResult.RejectedSopClass, header.SopInstanceUid, $"SOP class {header.SopClassUid} is not accepted.") { SopClassUid = header.SopClassUid };
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            // An identical re-send is answered here without storing again. The same UID with other bytes goes on: it is
            // stored and quarantined by the recording below, which decides again inside its transaction.
            if (await StoredInstanceByUid(db, header.SopInstanceUid, cancellationToken) is { } existing
                && string.Equals(existing.Sha256, request.Sha256 ?? await Sha256OfFileAsync(request.Part10FilePath, cancellationToken), StringComparison.Ordinal))
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
            var recording = await RecordAsync(header, stored, request, receivedAt, received, release: null, cancellationToken);
            switch (recording.Result)
            {
                case RecordResult.Duplicate:
                    // Another association stored the same instance a moment earlier: same answer as a re-send.
                    LogDuplicate(logger, request.Source);
                    return new IngestOutcome(IngestResult.Duplicate, header.SopInstanceUid) { SopClassUid = header.SopClassUid };
                case RecordResult.Quarantined:
                    LogQuarantined(logger, request.Source, recording.Conflict!.Reason);
                    return new IngestOutcome(
                        recording.Conflict.Reason == QuarantineReason.SopInstanceConflict ? IngestResult.QuarantinedInstanceConflict : IngestResult.QuarantinedIdentityConflict,
                        header.SopInstanceUid,
                        recording.Conflict.ErrorComment)
                    {
                        SopClassUid = header.SopClassUid,
                        QuarantineId = recording.QuarantineId,
                    };
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

    /// <summary>
    /// Records the arrival in one transaction or, when it contradicts what is stored, its quarantine instead. The
    /// identity checks use the rows this transaction loads anyway (patient, study, series), so an arrival costs no
    /// extra query. On SQLite they run under the one writer; on PostgreSQL a concurrent arrival that created a row first
    /// makes this one fail on a unique index, and the next attempt checks against that row.
    /// </summary>
    /// <param name="release">Set when an administrator released a quarantined object: it takes the stored identity it
    /// conflicted with, and its quarantine record is closed in the same transaction.</param>
    private async Task<Recording> RecordAsync(
        InstanceHeader header, StoredObject stored, IngestRequest request, DateTimeOffset receivedAt, ImageReceived received,
        PendingRelease? release, CancellationToken cancellationToken)
    {
        // Retried: a unique-index conflict on patient/study/series means a concurrent arrival of the same visit
        // created the row first, and the next attempt finds it; one more attempt may go to confirming a conflict.
        var confirmingConflict = false;
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // Changes are detected once, just before saving: the audit guard and SaveChanges would each scan again.
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            using var writer = await EnterSqliteWriterAsync(db, cancellationToken);
            await using var transaction = confirmingConflict
                ? await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken)
                : await db.Database.BeginTransactionAsync(cancellationToken);
            try
            {
                var releasing = release is null ? null : await db.QuarantinedInstances.FirstOrDefaultAsync(q => q.Id == release.QuarantineId, cancellationToken);
                if (release is not null && releasing?.Status != QuarantineStatus.Releasing)
                {
                    // Redelivered after it was settled: nothing left to do.
                    return new Recording(RecordResult.Duplicate);
                }

                if (await StoredInstanceByUid(db, header.SopInstanceUid, cancellationToken) is { } existing)
                {
                    if (string.Equals(existing.Sha256, stored.Sha256, StringComparison.Ordinal))
                    {
                        if (releasing is not null)
                        {
                            // The sender re-sent it meanwhile and it was recorded: the release is complete as it stands.
                            MarkReleased(db, releasing, existing.Id);
                            db.ChangeTracker.DetectChanges();
                            await db.SaveChangesAsync(cancellationToken);
                            await transaction.CommitAsync(cancellationToken);
                        }

                        return new Recording(RecordResult.Duplicate);
                    }

                    var conflict = IdentityConflict.OtherContent(existing.Id);
                    return releasing is not null
                        ? new Recording(RecordResult.Quarantined, conflict)
                        : await QuarantineAsync(db, transaction, header, stored, request, receivedAt, conflict, cancellationToken);
                }

                var patient = await PatientById(db, header.PatientId, header.IssuerOfPatientId, cancellationToken);
                var study = await StudyByUid(db, header.StudyInstanceUid, cancellationToken);
                var series = await SeriesByUid(db, header.SeriesInstanceUid, cancellationToken);

                if (releasing is null)
                {
                    if (IdentityConflict.Find(header, patient, study, series) is { } conflict)
                    {
                        // On PostgreSQL each query of a read-committed transaction sees the commits made before it: a
                        // concurrent arrival of the same visit committing between the patient and the study query looks
                        // like another patient's study. A conflict is only acted on when one snapshot shows it.
                        if (_isSqlite is false && !confirmingConflict)
                        {
                            await transaction.RollbackAsync(CancellationToken.None);
                            confirmingConflict = true;
                            continue;
                        }

                        return await QuarantineAsync(db, transaction, header, stored, request, receivedAt, conflict, cancellationToken);
                    }
                }
                else
                {
                    // Released under the stored identity: the series' study, that study's patient.
                    if (series is not null && series.StudyId != study?.Id)
                    {
                        study = await db.Studies.Include(s => s.Screening).FirstAsync(s => s.Id == series.StudyId, cancellationToken);
                    }

                    if (study is not null && study.PatientId != patient?.Id)
                    {
                        patient = await db.Patients.FirstAsync(p => p.Id == study.PatientId, cancellationToken);
                    }
                }

                if (patient is null)
                {
                    patient = new Patient { PatientId = header.PatientId, IssuerOfPatientId = header.IssuerOfPatientId };
                    db.Patients.Add(patient);
                }

                if (releasing?.Release == QuarantineRelease.SentDemographics)
                {
                    // The administrator confirmed the object carries the correction.
                    patient.Name = header.PatientName ?? patient.Name;
                    patient.BirthDate = header.PatientBirthDate ?? patient.BirthDate;
                    patient.Sex = header.PatientSex ?? patient.Sex;
                }
                else if (patient.PatientId.Length > 0)
                {
                    // Only what the stored patient lacks is taken; a differing value was a conflict above. An empty
                    // Patient ID groups unidentified arrivals and is nobody's demographics.
                    patient.Name ??= header.PatientName;
                    patient.BirthDate ??= header.PatientBirthDate;
                    patient.Sex ??= header.PatientSex;
                }

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
                        outcome = release is null ? "stored" : "released from quarantine",
                        quarantineId = release?.QuarantineId,
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

                if (releasing is not null)
                {
                    MarkReleased(db, releasing, instance.Id);
                }

                // On SQLite the commit fsyncs the write-ahead log: synchronous=FULL, SQLite's default, left so on
                // purpose. With NORMAL a WAL commit is not flushed, and a power cut could undo an arrival already
                // answered with success (the database would stay consistent, but the instance would be gone).
                db.ChangeTracker.DetectChanges();
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return new Recording(RecordResult.Recorded);
            }
            catch (DbUpdateException) when (attempt < 4)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                LogRecordRetried(logger, attempt);
            }
        }
    }

    /// <summary>
    /// Records an arrival that contradicts the record as a quarantine record instead (the object is already durably
    /// stored), so the answer to the sender names the conflict and nothing sent is lost. An identical re-send of an
    /// object still in quarantine finds its open record rather than opening another.
    /// </summary>
    private async Task<Recording> QuarantineAsync(
        RetinaScreenDbContext db, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction, InstanceHeader header, StoredObject stored,
        IngestRequest request, DateTimeOffset receivedAt, IdentityConflict conflict, CancellationToken cancellationToken)
    {
        var open = await db.QuarantinedInstances
            .Where(q => q.SopInstanceUid == header.SopInstanceUid && q.Sha256 == stored.Sha256
                        && (q.Status == QuarantineStatus.Open || q.Status == QuarantineStatus.Releasing))
            .Select(q => (Guid?)q.Id)
            .FirstOrDefaultAsync(cancellationToken);
        if (open is { } openId)
        {
            return new Recording(RecordResult.Quarantined, conflict, openId);
        }

        var record = new QuarantinedInstance
        {
            Reason = conflict.Reason,
            Detail = conflict.Detail,
            SopInstanceUid = header.SopInstanceUid,
            SopClassUid = header.SopClassUid,
            StudyInstanceUid = header.StudyInstanceUid,
            SeriesInstanceUid = header.SeriesInstanceUid,
            PatientId = header.PatientId,
            IssuerOfPatientId = header.IssuerOfPatientId,
            PatientName = header.PatientName,
            PatientBirthDate = header.PatientBirthDate,
            PatientSex = header.PatientSex,
            ConflictingPatientId = conflict.PatientId,
            ConflictingStudyId = conflict.StudyId,
            ConflictingInstanceId = conflict.InstanceId,
            StorageKey = stored.Key,
            Sha256 = stored.Sha256,
            SizeBytes = stored.SizeBytes,
            Source = request.Source,
            Device = request.Device,
            SourceAddress = request.RemoteEndPoint?.Address.ToString(),
            ReceivedAt = receivedAt,
        };
        db.QuarantinedInstances.Add(record);
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = receivedAt,
            Actor = request.Source,
            Action = "instance.quarantined",
            EntityType = nameof(QuarantinedInstance),
            EntityId = record.Id.ToString(),
            // Keys and hashes only: the record itself holds what the object says about the patient.
            Details = JsonSerializer.Serialize(new
            {
                reason = conflict.Reason.ToString(),
                sopInstanceUid = header.SopInstanceUid,
                sopClassUid = header.SopClassUid,
                studyInstanceUid = header.StudyInstanceUid,
                conflictingPatientId = conflict.PatientId,
                conflictingStudyId = conflict.StudyId,
                conflictingInstanceId = conflict.InstanceId,
                sourceAddress = request.RemoteEndPoint?.Address.ToString(),
                sourceDevice = request.Device,
                destination = request.Destination,
                sha256 = stored.Sha256,
                sizeBytes = stored.SizeBytes,
            }),
        });

        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Recording(RecordResult.Quarantined, conflict, record.Id);
    }

    private void MarkReleased(RetinaScreenDbContext db, QuarantinedInstance record, Guid instanceId)
    {
        var at = clock.GetUtcNow();
        record.Status = QuarantineStatus.Released;
        record.ReleasedInstanceId = instanceId;
        record.ReleaseError = null;
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = at,
            Actor = record.ResolvedBy ?? "ingest",
            Action = "quarantine.released",
            EntityType = nameof(QuarantinedInstance),
            EntityId = record.Id.ToString(),
            Details = JsonSerializer.Serialize(new
            {
                release = record.Release?.ToString(),
                reason = record.Reason.ToString(),
                sopInstanceUid = record.SopInstanceUid,
                instanceId,
                sha256 = record.Sha256,
            }),
        });
    }

    /// <summary>
    /// Records a quarantined object an administrator released (see <see cref="QuarantineRelease"/>), by the same path
    /// as an arrival: validated again, recorded under the stored identity it conflicted with, published for grading
    /// through the outbox, its quarantine record closed in that same transaction. A release that cannot be completed
    /// (the object no longer reads, or its SOP Instance UID was stored meanwhile with other bytes) opens the record
    /// again with the reason. Redelivery is harmless: a record no longer releasing is left alone.
    /// </summary>
    public async Task ReleaseAsync(Guid quarantineId, CancellationToken cancellationToken)
    {
        QuarantinedInstance? record;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            record = await db.QuarantinedInstances.AsNoTracking().FirstOrDefaultAsync(q => q.Id == quarantineId, cancellationToken);
        }

        if (record is not { Status: QuarantineStatus.Releasing })
        {
            return;
        }

        // Beside arriving objects: under the data path and its free-space watermark, swept like them.
        var folder = receiving.Value.ResolveTempDirectory();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"release-{quarantineId:N}-{Guid.NewGuid():N}.dcm");
        try
        {
            try
            {
                await using var source = await objectStore.OpenReadAsync(record.StorageKey, cancellationToken);
                await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                await source.CopyToAsync(file, cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException)
            {
                await ReopenAsync(record.Id, "The quarantined object is no longer in the store.", cancellationToken);
                return;
            }

            var header = InstanceHeader.TryRead(path, sizeLimits.MaxBytes(record.SopClassUid), out var unreadable);
            var invalid = header is null ? unreadable : header.Validate(null, null);
            if (header is null || invalid is not null)
            {
                await ReopenAsync(record.Id, "The quarantined object is not valid: " + invalid, cancellationToken);
                return;
            }

            var stored = new StoredObject(record.StorageKey, record.Sha256, record.SizeBytes);
            var request = new IngestRequest(
                path,
                record.Source,
                System.Net.IPAddress.TryParse(record.SourceAddress, out var address) ? new System.Net.IPEndPoint(address, 0) : null,
                Device: record.Device,
                Destination: "quarantine");
            var received = new ImageReceived
            {
                SopInstanceUid = header.SopInstanceUid,
                SopClassUid = header.SopClassUid,
                StudyInstanceUid = header.StudyInstanceUid,
                StorageKey = stored.Key,
                Sha256 = stored.Sha256,
                ReceivedAt = record.ReceivedAt,
            };

            var recording = await RecordAsync(header, stored, request, record.ReceivedAt, received, new PendingRelease(record.Id), cancellationToken);
            if (recording.Result == RecordResult.Quarantined)
            {
                await ReopenAsync(record.Id, recording.Conflict!.Detail, cancellationToken);
                return;
            }

            LogReleased(logger, record.Id);
            outboxSignal.Notify();
        }
        finally
        {
            TryDelete(path);
        }
    }

    /// <summary>The release could not be completed: the record is open again, saying why, for the administrator.</summary>
    private async Task ReopenAsync(Guid quarantineId, string reason, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        using var writer = await EnterSqliteWriterAsync(db, cancellationToken);
        var record = await db.QuarantinedInstances.FirstOrDefaultAsync(q => q.Id == quarantineId && q.Status == QuarantineStatus.Releasing, cancellationToken);
        if (record is null)
        {
            return;
        }

        record.Status = QuarantineStatus.Open;
        record.ReleaseError = reason.Length > 256 ? reason[..256] : reason;
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = clock.GetUtcNow(),
            Actor = "ingest",
            Action = "quarantine.release-failed",
            EntityType = nameof(QuarantinedInstance),
            EntityId = record.Id.ToString(),
            Details = JsonSerializer.Serialize(new { reason = record.ReleaseError, requestedBy = record.ResolvedBy }),
        });
        await db.SaveChangesAsync(cancellationToken);
        LogReleaseFailed(logger, quarantineId);
    }

    private static async Task<string> Sha256OfFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    private sealed record StoredInstanceKey(Guid Id, string Sha256);

    private sealed record PendingRelease(Guid QuarantineId);

    private enum RecordResult
    {
        Recorded,
        Duplicate,
        Quarantined,
    }

    /// <param name="Conflict">For <see cref="RecordResult.Quarantined"/>: what the arrival contradicts.</param>
    private sealed record Recording(RecordResult Result, IdentityConflict? Conflict = null, Guid? QuarantineId = null);

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

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Quarantined an instance from {Source}: {Reason}")]
    private static partial void LogQuarantined(ILogger logger, string source, QuarantineReason reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Released quarantined object {QuarantineId} into the record")]
    private static partial void LogReleased(ILogger logger, Guid quarantineId);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Release of quarantined object {QuarantineId} could not be completed; it is open again")]
    private static partial void LogReleaseFailed(ILogger logger, Guid quarantineId);
}
