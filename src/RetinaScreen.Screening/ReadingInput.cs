using RetinaScreen.Data.Screening;

namespace RetinaScreen.Screening;

/// <summary>What a reader submits: both eyes and the referral for a fundus case, the metastasis call for a slide.</summary>
public sealed record ReadingInput
{
    public EyeReading? Right { get; init; }
    public EyeReading? Left { get; init; }
    /// <summary>Null takes the referral computed from the eyes.</summary>
    public Referral? Referral { get; init; }
    public string? OverrideReason { get; init; }
    public bool? Metastasis { get; init; }
    public MetastasisSize? SizeCategory { get; init; }
    public string? Comment { get; init; }
}

/// <summary>The person acting: Identity user id, user name (for the audit trail) and roles.</summary>
public sealed record Reader(string Id, string Name, IReadOnlyCollection<string> Roles);

/// <summary>Why the lifecycle refused a request; the portal maps each to an HTTP status.</summary>
public enum CaseRefusal
{
    NotFound,
    /// <summary>The caller's roles may not read the case's queue.</summary>
    Forbidden,
    /// <summary>The case waits in no queue (not yet graded, or final).</summary>
    NotWaiting,
    HeldByAnother,
    AlreadyRead,
    NotClaimed,
    LeaseLapsed,
    Invalid,
}

/// <summary>A value, or the refusal with a sentence for the person (never patient data) and, for invalid input, the fields.</summary>
public sealed record CaseResult<T>(T? Value, CaseRefusal? Refusal = null, string? Detail = null, IDictionary<string, string[]>? Errors = null);

public sealed record CaseClaim(string StudyInstanceUid, DateTimeOffset ClaimedAt, DateTimeOffset LeaseExpiresAt);

public sealed record SubmittedReading(Reading Reading, ScreeningStatus Status, ReadingQueue? Queue, FinalSource? FinalSource);
