using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Screening;

/// <summary>The screening of one study (both eyes of one visit).</summary>
public sealed class ScreeningCase
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid StudyId { get; set; }
    public Study? Study { get; set; }
    public ScreeningStatus Status { get; set; } = ScreeningStatus.Received;
    /// <summary>Worklist order: higher is more urgent (0 routine). Set by policy or an administrator.</summary>
    public int Priority { get; set; }
    /// <summary>The screening site (clinic) the photographs came from, for per-site worklists; null if unknown.</summary>
    public string? Site { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? QualityCheckedAt { get; set; }
    public DateTimeOffset? GradedAt { get; set; }
    public DateTimeOffset? AwaitingReviewAt { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
    public DateTimeOffset? AdjudicatedAt { get; set; }
    public DateTimeOffset? ReportedAt { get; set; }
    /// <summary>Worst ICDR grade over the gradable eyes: the worse eye decides referral.</summary>
    public int? WorstGrade { get; set; }
    public bool? ReferableDr { get; set; }
    public bool? ReferableDme { get; set; }
    /// <summary>True when at least one photograph was judged ungradable (retake or refer).</summary>
    public bool AnyUngradable { get; set; }

    /// <summary>
    /// Turnaround of the case: from the first photograph received to the report, or to the latest step reached
    /// while the case is still open. The portal shows it; it is derived, never stored, so it cannot disagree.
    /// </summary>
    public TimeSpan Turnaround => (ReportedAt ?? LatestStepAt) - ReceivedAt;

    private DateTimeOffset LatestStepAt =>
        new[] { QualityCheckedAt, GradedAt, AwaitingReviewAt, ReviewedAt, AdjudicatedAt, ReportedAt }
            .Aggregate(ReceivedAt, (latest, at) => at is { } value && value > latest ? value : latest);

    /// <summary>
    /// Moves the case forward and stamps the step reached; a step that would go backwards, or repeat, is ignored
    /// (redeliveries, races between workers). Skipped steps keep no timestamp: they did not happen.
    /// </summary>
    public bool Advance(ScreeningStatus next, DateTimeOffset at)
    {
        if (next <= Status || !Enum.IsDefined(next))
        {
            return false;
        }

        Status = next;
        switch (next)
        {
            case ScreeningStatus.QualityChecked: QualityCheckedAt ??= at; break;
            case ScreeningStatus.Graded: GradedAt ??= at; break;
            case ScreeningStatus.AwaitingReview: AwaitingReviewAt ??= at; break;
            case ScreeningStatus.Reviewed: ReviewedAt ??= at; break;
            case ScreeningStatus.Adjudicated: AdjudicatedAt ??= at; break;
            case ScreeningStatus.Reported: ReportedAt ??= at; break;
        }

        return true;
    }
}
