namespace RetinaScreen.Data.Screening;

/// <summary>
/// One person's reading of a screening case: per eye for a fundus case, the metastasis call for a slide. A person reads
/// a case once (unique per case and reader), and a reading is never changed: an adjudication is a reading of its own.
/// </summary>
public sealed class Reading
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ScreeningCaseId { get; set; }
    public ScreeningCase? ScreeningCase { get; set; }

    /// <summary>The Identity user id of the reader (never their name: the portal resolves it).</summary>
    public required string ReaderId { get; set; }

    /// <summary>The queue the case was read from: what kind of reading this is.</summary>
    public ReadingQueue Queue { get; set; }

    public EyeReading? Right { get; set; }
    public EyeReading? Left { get; set; }

    /// <summary>The outcome the reader chose; it differs from <see cref="ComputedReferral"/> only with <see cref="OverrideReason"/>.</summary>
    public Referral? Referral { get; set; }

    /// <summary>The outcome the eyes imply (the worse eye decides).</summary>
    public Referral? ComputedReferral { get; set; }
    public string? OverrideReason { get; set; }

    /// <summary>Pathology: metastasis present, and its size category when present.</summary>
    public bool? Metastasis { get; set; }
    public MetastasisSize? MetastasisSize { get; set; }

    /// <summary>Clinical remark; kept out of logs.</summary>
    public string? Comment { get; set; }

    /// <summary>The model's output was hidden from the reader until this reading was committed (blind-first).</summary>
    public bool Blind { get; set; }

    /// <summary>Whether the reader's decision matched the model's (referral, or the slide call): automation-bias and trust figures.</summary>
    public bool? AgreesWithModel { get; set; }

    /// <summary>From claiming the case to submitting.</summary>
    public double SecondsOnCase { get; set; }
    public DateTimeOffset ClaimedAt { get; set; }
    public DateTimeOffset SubmittedAt { get; set; }
}
