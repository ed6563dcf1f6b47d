using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Screening;

/// <summary>The screening of one study (both eyes of one visit).</summary>
public sealed class ScreeningCase
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid StudyId { get; set; }
    public Study? Study { get; set; }
    public ScreeningStatus Status { get; set; } = ScreeningStatus.Received;
    public CaseKind Kind { get; set; }
    /// <summary>Worklist order: higher is more urgent (0 routine). Set by policy or an administrator.</summary>
    public int Priority { get; set; }
    /// <summary>The screening site (clinic) the photographs came from, for per-site worklists; null if unknown.</summary>
    public string? Site { get; set; }
    /// <summary>The sending device (calling AE title or device name) of the first image, for per-device worklists.</summary>
    public string? Device { get; set; }
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
    /// <summary>A whole slide the metastasis model called positive; null for fundus cases and until analysed.</summary>
    public bool? MetastasisPositive { get; set; }

    /// <summary>Images of the study sent to a model; the case is routed once the models have answered for all of them.</summary>
    public int ImagesToGrade { get; set; }

    /// <summary>
    /// Why a model will not answer for an image of the case (its grading failed after every retry, or the case waited
    /// longer than allowed), which sent the case to a person as ungradable; null while the models answer, and again once
    /// every image has its answer. Never patient data.
    /// </summary>
    public string? FailureReason { get; set; }

    public const int FailureReasonMaxLength = 256;

    /// <summary>The queue the case waits in for a person; null when nobody needs to read it (now).</summary>
    public ReadingQueue? Queue { get; set; }
    /// <summary>How many independent readings (before any adjudication) the routing asked for: 0, 1 or 2.</summary>
    public int ReadingsRequired { get; set; }
    /// <summary>Blind-first: the model's output stays hidden from each reader until they have submitted.</summary>
    public bool Blind { get; set; }

    /// <summary>The Identity user id holding the case, while <see cref="LeaseExpiresAt"/> is in the future.</summary>
    public string? ClaimedById { get; set; }
    public DateTimeOffset? ClaimedAt { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public DateTimeOffset? FinalisedAt { get; set; }
    public FinalSource? FinalSource { get; set; }
    /// <summary>The final patient-level outcome of a fundus case.</summary>
    public Referral? FinalReferral { get; set; }
    /// <summary>The final slide call (the pathologist's, or the model's when no one needed to read it).</summary>
    public bool? FinalMetastasis { get; set; }

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
