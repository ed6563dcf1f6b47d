namespace RetinaScreen.Contracts;

/// <summary>
/// A case reached its final decision: reports and deliveries start here. <see cref="Source"/> says who decided
/// (<c>Model</c>, <c>Readers</c> or <c>Adjudicator</c>); <see cref="ReadingId"/> names the deciding reading.
/// </summary>
public sealed record CaseFinalised
{
    public required string StudyInstanceUid { get; init; }
    public required string Kind { get; init; }
    public required string Source { get; init; }
    /// <summary>Fundus: <c>Rescreen</c>, <c>Refer</c> or <c>Retake</c>.</summary>
    public string? Referral { get; init; }
    /// <summary>Slide: metastasis present.</summary>
    public bool? Metastasis { get; init; }
    public Guid? ReadingId { get; init; }
    public required DateTimeOffset FinalisedAt { get; init; }
}
