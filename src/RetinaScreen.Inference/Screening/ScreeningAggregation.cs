using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Folds the per-photograph predictions of a study into its screening case. Per patient the worse eye decides:
/// the case's grade is the worst gradable grade, and it is referable if any eye is.
/// </summary>
internal static class ScreeningAggregation
{
    /// <summary>
    /// Saves <paramref name="added"/> (and whatever else the context tracks) together with the screening re-folded
    /// from every committed prediction of the study, one grading of a study at a time across all workers. Both eyes
    /// of a visit are often graded at the same moment, in one process or in two: each would otherwise fold only its
    /// own prediction into what it read before the other committed, and the last save would win (a referable eye
    /// could be lost, or the status fall back). Inside one process <see cref="StudyGate"/> queues them without
    /// holding a database connection in a lock wait; across processes the database serialises them: PostgreSQL by
    /// the screening row's <c>FOR UPDATE</c> lock, SQLite because Microsoft.Data.Sqlite begins a transaction with
    /// <c>BEGIN IMMEDIATE</c> (the write lock is taken first). Under either, the predictions read after the lock
    /// include every one committed by an earlier holder, because each holder commits its prediction and the
    /// screening in the same transaction. The steps are stamped under the lock, not when the grading finished:
    /// a grading that waited for the other eye's fold must not stamp a step earlier than the one before it.
    /// </summary>
    public static async Task SaveAsync(
        RetinaScreenDbContext db, ScreeningCase screening, Guid modelVersionId, Prediction added, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var gate = await StudyGate.EnterAsync(screening.StudyId, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Screenings" WHERE "Id" = {screening.Id} FOR UPDATE""", cancellationToken);
        }

        // Fresh values, read under the lock (READ COMMITTED reads the latest commit per statement).
        await db.Entry(screening).ReloadAsync(cancellationToken);
        // Never before a step already stamped, should another worker's clock run ahead of this one's.
        var now = new[] { screening.ReceivedAt, screening.QualityCheckedAt, screening.GradedAt, screening.AwaitingReviewAt }
            .Aggregate(clock.GetUtcNow(), (latest, at) => at is { } value && value > latest ? value : latest);
        await ApplyAsync(db, screening, modelVersionId, added, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public static async Task ApplyAsync(
        RetinaScreenDbContext db, ScreeningCase screening, Guid modelVersionId, Prediction added, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var earlier = await db.Predictions
            .Where(p => p.ModelVersionId == modelVersionId && !p.Shadow && p.Instance!.Series!.StudyId == screening.StudyId)
            .Select(p => new { p.Gradable, p.Grade, p.ReferableDr, p.ReferableDme })
            .ToListAsync(cancellationToken);
        var all = earlier.Append(new { added.Gradable, added.Grade, added.ReferableDr, added.ReferableDme }).ToList();

        var gradable = all.Where(p => p.Gradable).ToList();
        screening.AnyUngradable = all.Any(p => !p.Gradable);
        screening.WorstGrade = gradable.Count > 0 ? gradable.Max(p => p.Grade) : null;
        screening.ReferableDr = gradable.Count > 0 ? gradable.Any(p => p.ReferableDr) : null;
        screening.ReferableDme = gradable.Count > 0 ? gradable.Any(p => p.ReferableDme) : null;

        screening.Advance(ScreeningStatus.QualityChecked, now);
        screening.Advance(ScreeningStatus.Graded, now);

        // A referable or ungradable case needs a human: it goes to the graders' worklist.
        if (screening.AnyUngradable || screening.ReferableDr == true || screening.ReferableDme == true)
        {
            screening.Advance(ScreeningStatus.AwaitingReview, now);
        }
    }
}
