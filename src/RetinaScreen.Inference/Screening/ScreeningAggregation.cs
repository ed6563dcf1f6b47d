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
