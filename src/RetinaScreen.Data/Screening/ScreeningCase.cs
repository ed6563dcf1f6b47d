using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Screening;

/// <summary>The screening of one study (both eyes of one visit).</summary>
public sealed class ScreeningCase
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid StudyId { get; set; }
    public Study? Study { get; set; }
    public ScreeningStatus Status { get; set; } = ScreeningStatus.Received;
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? QualityCheckedAt { get; set; }
    public DateTimeOffset? GradedAt { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
    /// <summary>Worst ICDR grade over the gradable eyes: the worse eye decides referral.</summary>
    public int? WorstGrade { get; set; }
    public bool? ReferableDr { get; set; }
    public bool? ReferableDme { get; set; }
    /// <summary>True when at least one photograph was judged ungradable (retake or refer).</summary>
    public bool AnyUngradable { get; set; }

    /// <summary>Moves the case forward; a step that would go backwards is ignored (redeliveries, races).</summary>
    public bool Advance(ScreeningStatus next, DateTimeOffset at)
    {
        if (next <= Status)
        {
            return false;
        }

        Status = next;
        switch (next)
        {
            case ScreeningStatus.QualityChecked: QualityCheckedAt ??= at; break;
            case ScreeningStatus.Graded: GradedAt ??= at; break;
            case ScreeningStatus.Reviewed: ReviewedAt ??= at; break;
        }

        return true;
    }
}
