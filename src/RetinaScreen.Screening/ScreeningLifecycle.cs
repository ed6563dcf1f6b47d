using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Outbox;
using RetinaScreen.Data.Pathology;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Screening;

/// <summary>
/// The one owner of a screening case's lifecycle. Every status transition, claim and routing decision happens here,
/// under the per-case lock (<see cref="CaseLock"/>), and each transition writes its event to the outbox in the same
/// transaction, so that reports and notifications hang off events rather than off the callers.
/// </summary>
public sealed class ScreeningLifecycle(
    RetinaScreenDbContext db,
    IOptions<ReadingOptions> options,
    OutboxSignal outboxSignal,
    TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private ReadingOptions Options => options.Value;

    // ---- arrival ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Records an arriving image on its study's case, opening the case with the study. Called by ingest inside its
    /// arrival transaction; <paramref name="graded"/> says whether the image goes to a model.
    /// </summary>
    public static ScreeningCase RecordArrival(Study study, bool slide, bool graded, string? device, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(study);
        var screening = study.Screening ??= new ScreeningCase
        {
            Study = study,
            ReceivedAt = at,
            Kind = slide ? CaseKind.Slide : CaseKind.Fundus,
            Site = Truncate(study.InstitutionName, 64),
            Device = Truncate(device, 64),
        };
        if (graded)
        {
            screening.ImagesToGrade++;
        }

        return screening;
    }

    // ---- the models' answers ---------------------------------------------------------------------------------

    /// <summary>
    /// Saves a photograph's prediction (and whatever else the context tracks) and folds every committed prediction of
    /// the study into the case: per patient the worse eye decides. Once the model has answered for every image sent to
    /// it, the case is routed.
    /// </summary>
    public Task RecordPhotographAsync(ScreeningCase screening, Guid modelVersionId, CancellationToken cancellationToken) =>
        RecordModelAnswerAsync(screening, async () =>
        {
            var predictions = await db.Predictions
                .Where(p => p.ModelVersionId == modelVersionId && !p.Shadow && p.Instance!.Series!.StudyId == screening.StudyId)
                .Select(p => new { p.InstanceId, p.Gradable, p.Grade, p.ReferableDr, p.ReferableDme })
                .ToListAsync(cancellationToken);
            var gradable = predictions.Where(p => p.Gradable).ToList();
            screening.AnyUngradable = predictions.Any(p => !p.Gradable);
            screening.WorstGrade = gradable.Count > 0 ? gradable.Max(p => p.Grade) : null;
            screening.ReferableDr = gradable.Count > 0 ? gradable.Any(p => p.ReferableDr) : null;
            screening.ReferableDme = gradable.Count > 0 ? gradable.Any(p => p.ReferableDme) : null;
            return predictions.Select(p => p.InstanceId).Distinct().Count();
        }, cancellationToken);

    /// <summary>Saves a slide's finished (or failed) analysis and folds the study's slides into the case, as for photographs.</summary>
    public Task RecordSlideAsync(ScreeningCase screening, Guid modelVersionId, CancellationToken cancellationToken) =>
        RecordModelAnswerAsync(screening, async () =>
        {
            var analyses = await db.SlideAnalyses
                .Where(a => a.ModelVersionId == modelVersionId && a.Status != SlideAnalysisStatus.Running && a.Instance!.Series!.StudyId == screening.StudyId)
                .Select(a => new { a.InstanceId, a.Status, a.Positive })
                .ToListAsync(cancellationToken);
            screening.AnyUngradable = analyses.Any(a => a.Status == SlideAnalysisStatus.Failed);
            screening.MetastasisPositive = analyses.Any(a => a.Positive == true);
            return analyses.Select(a => a.InstanceId).Distinct().Count();
        }, cancellationToken);

    /// <summary>
    /// Under the case's lock: saves the model's answer, lets <paramref name="fold"/> fold every committed answer of the
    /// study into the case (returning how many images have one), stamps the steps and routes the case once every image
    /// sent to a model has its answer.
    /// </summary>
    private async Task RecordModelAnswerAsync(ScreeningCase screening, Func<Task<int>> fold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(screening);
        await using var caseLock = await CaseLock.AcquireAsync(db, screening, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        var answered = await fold();
        if (screening.FailureReason is not null)
        {
            // A model failed for another image of the case: it stays ungradable until every image has its answer.
            if (answered >= screening.ImagesToGrade)
            {
                screening.FailureReason = null;
            }
            else
            {
                screening.AnyUngradable = true;
            }
        }

        var now = NotBeforeEarlierSteps(screening);
        screening.Advance(ScreeningStatus.QualityChecked, now);
        screening.Advance(ScreeningStatus.Graded, now);
        if (answered >= screening.ImagesToGrade)
        {
            RouteAfterModel(screening, now);
        }

        await db.SaveChangesAsync(cancellationToken);
        await caseLock.CommitAsync(cancellationToken);
        outboxSignal.Notify();
    }

    /// <summary>
    /// Sends the case to a person, or lets the model's answer stand. Referable, ungradable and positive cases always go
    /// to a person; a sample of the others does too. An image arriving after the model's answer was final re-routes the
    /// case (a referable second eye must not be lost); a case a person has finalised stays final.
    /// </summary>
    private void RouteAfterModel(ScreeningCase screening, DateTimeOffset now)
    {
        if (screening.FinalSource is FinalSource.Readers or FinalSource.Adjudicator || screening.Queue is not null)
        {
            return;
        }

        var uid = screening.Study!.StudyInstanceUid;
        var slide = screening.Kind == CaseKind.Slide;
        var flagged = slide
            ? screening.MetastasisPositive == true || screening.AnyUngradable
            : ReadingRules.ReferralFor(screening) != Referral.Rescreen;
        var sampled = !flagged && ReadingRules.Sampled(uid, ReadingRules.QualitySample, slide ? Options.PathologySampleFraction : Options.QualitySampleFraction);
        if (!flagged && !sampled)
        {
            if (screening.FinalSource is null)
            {
                Finalise(screening, FinalSource.Model, null, now);
                PublishGraded(screening, now);
            }

            return;
        }

        // Re-opened: a later image changed the model's answer after it was final.
        screening.FinalisedAt = null;
        screening.FinalSource = null;
        screening.FinalReferral = null;
        screening.FinalMetastasis = null;

        screening.Queue = slide ? ReadingQueue.Pathology : ReadingQueue.Primary;
        screening.ReadingsRequired = !slide && ReadingRules.Sampled(uid, ReadingRules.SecondReadSample, Options.SecondReadFraction) ? 2 : 1;
        screening.Blind = ReadingRules.Sampled(uid, ReadingRules.BlindSample, Options.BlindFraction);
        screening.Priority = ReadingRules.PriorityOf(screening);
        screening.Advance(ScreeningStatus.AwaitingReview, now);
        PublishGraded(screening, now);
    }

    private void PublishGraded(ScreeningCase screening, DateTimeOffset now) => Publish(new ScreeningGraded
    {
        StudyInstanceUid = screening.Study!.StudyInstanceUid, Kind = screening.Kind.ToString(), Queue = screening.Queue?.ToString(),
        WorstGrade = screening.WorstGrade, ReferableDr = screening.ReferableDr, ReferableDme = screening.ReferableDme,
        AnyUngradable = screening.AnyUngradable, MetastasisPositive = screening.MetastasisPositive, GradedAt = now,
    }, now);

    // ---- when the models do not answer -------------------------------------------------------------------------

    /// <summary>
    /// Sends a case to a person when a model will not answer for one of its images: the grading of
    /// <paramref name="sopInstanceUid"/> failed after every retry, or (null) the case has waited past its time. The case
    /// becomes ungradable with <paramref name="reason"/> and is routed as ungradable cases are (Primary review, or
    /// Pathology for a slide), so that no case waits unseen. Nothing changes when the image, or every image, has been
    /// answered meanwhile; a case a person already has keeps its queue and gains the reason.
    /// </summary>
    /// <returns>True when the case changed.</returns>
    public async Task<bool> RecordModelFailureAsync(string studyInstanceUid, string? sopInstanceUid, string reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var screening = await FindAsync(studyInstanceUid, cancellationToken);
        if (screening is null)
        {
            return false;
        }

        await using var caseLock = await CaseLock.AcquireAsync(db, screening, cancellationToken);
        var answered = sopInstanceUid is not null
            ? await AnsweredImagesAsync(screening, sopInstanceUid, cancellationToken) > 0
            : await AnsweredImagesAsync(screening, null, cancellationToken) >= screening.ImagesToGrade;
        if (answered || screening.FailureReason is not null || screening.FinalSource is FinalSource.Readers or FinalSource.Adjudicator)
        {
            return false;
        }

        var now = NotBeforeEarlierSteps(screening);
        screening.FailureReason = Truncate(reason, ScreeningCase.FailureReasonMaxLength);
        screening.AnyUngradable = true;
        Audit("system:screening", "case.model-failed", screening, new { sopInstanceUid, reason = screening.FailureReason, status = screening.Status.ToString() }, now);
        RouteAfterModel(screening, now);
        await db.SaveChangesAsync(cancellationToken);
        await caseLock.CommitAsync(cancellationToken);
        outboxSignal.Notify();
        return true;
    }

    /// <summary>
    /// The cases still waiting for a model's answer: how many, since when, and the Study Instance UIDs of up to
    /// <paramref name="limit"/> of them (oldest first) with no arrival and no slide-analysis progress since
    /// <paramref name="idleSince"/>.
    /// </summary>
    public async Task<WaitingCases> FindWaitingAsync(DateTimeOffset idleSince, int limit, CancellationToken cancellationToken)
    {
        var waiting = db.Screenings.AsNoTracking().Where(c => c.Queue == null && c.FinalisedAt == null && c.ImagesToGrade > 0);
        var count = await waiting.CountAsync(cancellationToken);
        var oldest = count == 0
            ? (DateTimeOffset?)null
            : await waiting.OrderBy(c => c.ReceivedAt).Select(c => c.ReceivedAt).FirstAsync(cancellationToken);
        var overdue = await waiting
            .Where(c => c.FailureReason == null)
            .Where(c => !db.Instances.Any(i => i.Series!.StudyId == c.StudyId && i.ReceivedAt > idleSince))
            .Where(c => !db.SlideAnalyses.Any(a => a.Instance!.Series!.StudyId == c.StudyId && a.Status == SlideAnalysisStatus.Running && a.ProgressAt > idleSince))
            .OrderBy(c => c.ReceivedAt)
            .Select(c => c.Study!.StudyInstanceUid)
            .Take(limit)
            .ToListAsync(cancellationToken);
        return new WaitingCases(count, oldest, overdue);
    }

    /// <summary>Images of the case (or just <paramref name="sopInstanceUid"/>) that a production model has answered for.</summary>
    private async Task<int> AnsweredImagesAsync(ScreeningCase screening, string? sopInstanceUid, CancellationToken cancellationToken)
    {
        var instances = db.Instances.Where(i => i.Series!.StudyId == screening.StudyId && (sopInstanceUid == null || i.SopInstanceUid == sopInstanceUid));
        return await instances.CountAsync(i =>
            db.Predictions.Any(p => p.InstanceId == i.Id && !p.Shadow)
            || db.SlideAnalyses.Any(a => a.InstanceId == i.Id && a.Status != SlideAnalysisStatus.Running), cancellationToken);
    }

    // ---- claims ----------------------------------------------------------------------------------------------

    /// <summary>Claims the case for <paramref name="reader"/>, or renews the reader's own claim.</summary>
    public async Task<CaseResult<CaseClaim>> ClaimAsync(string studyInstanceUid, Reader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var screening = await FindAsync(studyInstanceUid, cancellationToken);
        if (screening is null)
        {
            return new(default, CaseRefusal.NotFound, "No screening case has this Study Instance UID.");
        }

        await using var caseLock = await CaseLock.AcquireAsync(db, screening, cancellationToken);
        var now = clock.GetUtcNow();
        var refusal = await ClaimRefusalAsync(screening, reader, now, cancellationToken);
        if (refusal is not null)
        {
            return new(default, refusal.Value.Refusal, refusal.Value.Detail);
        }

        var renewing = screening.ClaimedById == reader.Id && screening.LeaseExpiresAt > now;
        if (!renewing)
        {
            screening.ClaimedById = reader.Id;
            screening.ClaimedAt = now;
            Audit(reader.Name, "case.claimed", screening, new { queue = screening.Queue?.ToString() }, now);
        }

        screening.LeaseExpiresAt = now.AddMinutes(Options.LeaseMinutes);
        await db.SaveChangesAsync(cancellationToken);
        await caseLock.CommitAsync(cancellationToken);
        return new(new CaseClaim(studyInstanceUid, screening.ClaimedAt!.Value, screening.LeaseExpiresAt.Value));
    }

    /// <summary>
    /// Claims the next case for <paramref name="reader"/>: the most urgent, then the oldest, in <paramref name="queue"/>
    /// (or any queue the reader may read), that nobody holds and the reader has not read. Null when there is none.
    /// </summary>
    public async Task<CaseClaim?> ClaimNextAsync(ReadingQueue? queue, Reader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var queues = ReadingRules.QueuesFor(reader.Roles).Where(q => queue is null || q == queue).ToList();
        if (queues.Count == 0)
        {
            return null;
        }

        // A few candidates at a time: another reader may take one between this query and the claim.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var now = clock.GetUtcNow();
            var candidates = await db.Screenings.AsNoTracking()
                .Where(c => c.Queue != null && queues.Contains(c.Queue.Value))
                .Where(c => c.ClaimedById == null || c.LeaseExpiresAt < now || c.ClaimedById == reader.Id)
                .Where(c => !db.Readings.Any(r => r.ScreeningCaseId == c.Id && r.ReaderId == reader.Id))
                .OrderByDescending(c => c.Priority).ThenBy(c => c.ReceivedAt)
                .Select(c => c.Study!.StudyInstanceUid)
                .Take(5)
                .ToListAsync(cancellationToken);
            if (candidates.Count == 0)
            {
                return null;
            }

            foreach (var uid in candidates)
            {
                var claim = await ClaimAsync(uid, reader, cancellationToken);
                if (claim.Value is not null)
                {
                    return claim.Value;
                }
            }
        }

        return null;
    }

    /// <summary>Gives the reader's claim up: the case returns to its queue.</summary>
    public async Task<CaseResult<bool>> ReleaseAsync(string studyInstanceUid, Reader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var screening = await FindAsync(studyInstanceUid, cancellationToken);
        if (screening is null)
        {
            return new(default, CaseRefusal.NotFound, "No screening case has this Study Instance UID.");
        }

        await using var caseLock = await CaseLock.AcquireAsync(db, screening, cancellationToken);
        if (screening.ClaimedById != reader.Id)
        {
            return screening.ClaimedById is not null && screening.LeaseExpiresAt > clock.GetUtcNow()
                ? new(default, CaseRefusal.HeldByAnother, "Another reader holds this case; only they can release it.")
                : new(true);
        }

        ClearClaim(screening);
        Audit(reader.Name, "case.released", screening, null, clock.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        await caseLock.CommitAsync(cancellationToken);
        return new(true);
    }

    private async Task<(CaseRefusal Refusal, string Detail)?> ClaimRefusalAsync(ScreeningCase screening, Reader reader, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (screening.Queue is not { } queue)
        {
            return (CaseRefusal.NotWaiting, screening.FinalisedAt is null
                ? "This case is not waiting for a reading: the models have not finished with it."
                : "This case is final; there is nothing left to read.");
        }

        if (!ReadingRules.ReadersOf(queue).Any(reader.Roles.Contains))
        {
            return (CaseRefusal.Forbidden, $"The {queue} queue is read by {string.Join(" or ", ReadingRules.ReadersOf(queue))}.");
        }

        if (await db.Readings.AnyAsync(r => r.ScreeningCaseId == screening.Id && r.ReaderId == reader.Id, cancellationToken))
        {
            return (CaseRefusal.AlreadyRead, "You have already read this case; a case is never read twice by the same person.");
        }

        if (screening.ClaimedById is not null && screening.ClaimedById != reader.Id && screening.LeaseExpiresAt > now)
        {
            return (CaseRefusal.HeldByAnother, $"Another reader is reading this case (their claim runs until {screening.LeaseExpiresAt:u}).");
        }

        return null;
    }

    private static void ClearClaim(ScreeningCase screening)
    {
        screening.ClaimedById = null;
        screening.ClaimedAt = null;
        screening.LeaseExpiresAt = null;
    }

    // ---- readings --------------------------------------------------------------------------------------------

    /// <summary>
    /// Records a reading by the reader holding a live claim, and moves the case on: to a second read, to adjudication
    /// when two readings disagree, or to its final state. All or nothing: a refused reading writes nothing.
    /// </summary>
    public async Task<CaseResult<SubmittedReading>> SubmitReadingAsync(string studyInstanceUid, Reader reader, ReadingInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(input);
        var screening = await FindAsync(studyInstanceUid, cancellationToken);
        if (screening is null)
        {
            return new(default, CaseRefusal.NotFound, "No screening case has this Study Instance UID.");
        }

        var errors = ReadingValidation.Validate(screening.Kind, input);
        if (errors.Count > 0)
        {
            return new(null, CaseRefusal.Invalid, "The reading is incomplete or out of range.", errors);
        }

        await using var caseLock = await CaseLock.AcquireAsync(db, screening, cancellationToken);
        var now = clock.GetUtcNow();
        if (await db.Readings.AnyAsync(r => r.ScreeningCaseId == screening.Id && r.ReaderId == reader.Id, cancellationToken))
        {
            return new(default, CaseRefusal.AlreadyRead, "You have already submitted a reading of this case; it was recorded once.");
        }

        if (screening.ClaimedById != reader.Id || screening.Queue is not { } queue)
        {
            return new(default, CaseRefusal.NotClaimed, "Claim the case before submitting a reading.");
        }

        if (screening.LeaseExpiresAt <= now)
        {
            return new(default, CaseRefusal.LeaseLapsed,
                $"Your claim lapsed at {screening.LeaseExpiresAt:u}; claim the case again (the reading was not recorded).");
        }

        var reading = NewReading(screening, reader, input, queue, now);
        db.Readings.Add(reading);
        var earlier = await db.Readings
            .Where(r => r.ScreeningCaseId == screening.Id && (r.Queue == ReadingQueue.Primary || r.Queue == ReadingQueue.SecondRead))
            .ToListAsync(cancellationToken);
        ClearClaim(screening);
        RouteAfterReading(screening, reading, [.. earlier.Where(r => r.Id != reading.Id)], now);

        Audit(reader.Name, "reading.submitted", screening, new
        {
            readingId = reading.Id,
            queue = queue.ToString(),
            referral = reading.Referral?.ToString(),
            computedReferral = reading.ComputedReferral?.ToString(),
            overridden = reading.OverrideReason is not null,
            metastasis = reading.Metastasis,
            blind = reading.Blind,
            agreesWithModel = reading.AgreesWithModel,
            secondsOnCase = reading.SecondsOnCase,
            nextQueue = screening.Queue?.ToString(),
            status = screening.Status.ToString(),
        }, now);
        Publish(new ReadingSubmitted
        {
            StudyInstanceUid = studyInstanceUid, ReadingId = reading.Id, Queue = queue.ToString(), ReaderId = reader.Id,
            NextQueue = screening.Queue?.ToString(), SubmittedAt = now,
        }, now);

        await db.SaveChangesAsync(cancellationToken);
        await caseLock.CommitAsync(cancellationToken);
        outboxSignal.Notify();
        return new(new SubmittedReading(reading, screening.Status, screening.Queue, screening.FinalSource));
    }

    private static Reading NewReading(ScreeningCase screening, Reader reader, ReadingInput input, ReadingQueue queue, DateTimeOffset now)
    {
        var computed = input.Right is { } right && input.Left is { } left ? ReadingRules.ReferralFor(right, left) : (Referral?)null;
        var referral = input.Referral ?? computed;
        return new Reading
        {
            ScreeningCaseId = screening.Id,
            ReaderId = reader.Id,
            Queue = queue,
            Right = input.Right,
            Left = input.Left,
            Referral = referral,
            ComputedReferral = computed,
            OverrideReason = referral != computed ? Blank(input.OverrideReason) : null,
            Metastasis = input.Metastasis,
            MetastasisSize = input.Metastasis == true ? input.SizeCategory : null,
            Comment = Blank(input.Comment),
            Blind = screening.Blind,
            AgreesWithModel = screening.Kind == CaseKind.Slide
                ? screening.MetastasisPositive is { } positive ? positive == input.Metastasis : null
                : referral == ReadingRules.ReferralFor(screening),
            ClaimedAt = screening.ClaimedAt ?? now,
            SecondsOnCase = Math.Max(0, (now - (screening.ClaimedAt ?? now)).TotalSeconds),
            SubmittedAt = now,
        };
    }

    private void RouteAfterReading(ScreeningCase screening, Reading reading, IReadOnlyList<Reading> earlier, DateTimeOffset now)
    {
        var uid = screening.Study!.StudyInstanceUid;
        switch (reading.Queue)
        {
            case ReadingQueue.Adjudication:
                screening.Advance(ScreeningStatus.Adjudicated, now);
                Publish(new CaseAdjudicated { StudyInstanceUid = uid, ReadingId = reading.Id, AdjudicatorId = reading.ReaderId, AdjudicatedAt = now }, now);
                Finalise(screening, FinalSource.Adjudicator, reading, now);
                return;
            case ReadingQueue.Pathology:
                screening.Advance(ScreeningStatus.Reviewed, now);
                Finalise(screening, FinalSource.Readers, reading, now);
                return;
        }

        if (earlier.Count + 1 < screening.ReadingsRequired)
        {
            screening.Queue = ReadingQueue.SecondRead;
            return;
        }

        if (earlier.Any(other => ReadingRules.Disagree(other, reading)))
        {
            screening.Queue = ReadingQueue.Adjudication;
            screening.Advance(ScreeningStatus.Reviewed, now);
            return;
        }

        screening.Advance(ScreeningStatus.Reviewed, now);
        Finalise(screening, FinalSource.Readers, reading, now);
    }

    private void Finalise(ScreeningCase screening, FinalSource source, Reading? reading, DateTimeOffset now)
    {
        screening.Queue = null;
        screening.FinalSource = source;
        screening.FinalisedAt = now;
        if (screening.Kind == CaseKind.Slide)
        {
            screening.FinalMetastasis = reading?.Metastasis ?? screening.MetastasisPositive;
        }
        else
        {
            screening.FinalReferral = reading?.Referral ?? ReadingRules.ReferralFor(screening);
        }

        Publish(new CaseFinalised
        {
            StudyInstanceUid = screening.Study!.StudyInstanceUid,
            Kind = screening.Kind.ToString(),
            Source = source.ToString(),
            Referral = screening.FinalReferral?.ToString(),
            Metastasis = screening.FinalMetastasis,
            ReadingId = reading?.Id,
            FinalisedAt = now,
        }, now);
    }

    // ---- plumbing --------------------------------------------------------------------------------------------

    private Task<ScreeningCase?> FindAsync(string studyInstanceUid, CancellationToken cancellationToken) =>
        db.Screenings.Include(c => c.Study).FirstOrDefaultAsync(c => c.Study!.StudyInstanceUid == studyInstanceUid, cancellationToken);

    /// <summary>Steps are stamped under the lock, never before one already stamped (another worker's clock may run ahead).</summary>
    private DateTimeOffset NotBeforeEarlierSteps(ScreeningCase screening) =>
        new[] { screening.ReceivedAt, screening.QualityCheckedAt, screening.GradedAt, screening.AwaitingReviewAt }
            .Aggregate(clock.GetUtcNow(), (latest, at) => at is { } value && value > latest ? value : latest);

    private void Publish<T>(T message, DateTimeOffset at) where T : class =>
        db.OutboxMessages.Add(new OutboxMessage
        {
            Type = typeof(T).FullName!,
            Payload = JsonSerializer.Serialize(message, Json),
            TraceParent = Activity.Current?.Id,
            CreatedAt = at,
        });

    private void Audit(string actor, string action, ScreeningCase screening, object? details, DateTimeOffset at) =>
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = at,
            Actor = actor,
            Action = action,
            EntityType = nameof(ScreeningCase),
            EntityId = screening.Study!.StudyInstanceUid,
            Details = details is null ? null : JsonSerializer.Serialize(details, Json),
        });

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string? Truncate(string? text, int length) =>
        text is null ? null : text.Length <= length ? text : text[..length];
}
