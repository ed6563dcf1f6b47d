namespace RetinaScreen.Data.Screening;

/// <summary>
/// One grader's reading of a screening case (both eyes), beside the model's: the grade they give, their referral calls,
/// and whether they agree with the model. A grader reviews a case once (unique per case and grader), so no case is
/// reviewed twice by accident; two readings that disagree go to adjudication.
/// </summary>
public sealed class Review
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ScreeningCaseId { get; set; }
    public ScreeningCase? ScreeningCase { get; set; }

    /// <summary>The Identity user id of the grader (never their name: audit events resolve it).</summary>
    public required string ReviewerId { get; set; }

    /// <summary>ICDR grade 0–4 of the worse eye; null when the grader found the photographs ungradable.</summary>
    public int? Grade { get; set; }
    public bool? ReferableDr { get; set; }
    public bool? ReferableDme { get; set; }
    public bool Ungradable { get; set; }

    /// <summary>Whether the grader agreed with the model's referral call: the number that builds (or loses) trust.</summary>
    public bool? AgreesWithModel { get; set; }

    /// <summary>Clinical remark for the adjudicator; kept out of logs.</summary>
    public string? Comment { get; set; }
    public DateTimeOffset ReviewedAt { get; set; }
}
