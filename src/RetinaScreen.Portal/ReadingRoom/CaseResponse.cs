using RetinaScreen.Portal.Studies;

namespace RetinaScreen.Portal.ReadingRoom;

/// <summary>Everything a reader needs to read one case. Model fields are null while <see cref="ModelHidden"/>.</summary>
public sealed record CaseResponse(
    string StudyInstanceUid,
    string Kind,
    PatientResponse Patient,
    string? StudyDate,
    string? AccessionNumber,
    string? Site,
    string? Device,
    string Status,
    string? Queue,
    int Priority,
    DateTimeOffset ReceivedAt,
    bool Blind,
    bool ModelHidden,
    CaseClaimResponse? Claim,
    ModelSummaryResponse? Summary,
    IReadOnlyList<CaseEyeResponse> Eyes,
    IReadOnlyList<CaseSlideResponse> Slides,
    IReadOnlyList<ReadingResponse> Readings,
    FinalResponse? Final,
    IReadOnlyList<PriorResponse> Priors)
{
    /// <summary>Why a model will not answer for an image of the case, which sent it to review as ungradable; null
    /// otherwise. Shown whether or not the model's output is hidden: it says why there is none.</summary>
    public string? FailureReason { get; init; }
}

public sealed record PatientResponse(string PatientId, string Issuer, string? Name, string? BirthDate, string? Sex);

public sealed record CaseClaimResponse(bool Mine, DateTimeOffset ClaimedAt, DateTimeOffset LeaseExpiresAt);

public sealed record ModelSummaryResponse(int? WorstGrade, bool? ReferableDr, bool? ReferableDme, bool AnyUngradable, bool? MetastasisPositive);

/// <param name="Laterality">"R", "L" or "unknown".</param>
public sealed record CaseEyeResponse(string Laterality, IReadOnlyList<CaseImageResponse> Images);

public sealed record CaseImageResponse(string SopInstanceUid, int? Rows, int? Columns, string ImageUrl, CaseModelResponse? Model);

public sealed record CaseModelResponse(
    bool Gradable,
    string? UngradableReason,
    int? Grade,
    string? GradeName,
    double[] GradeProbabilities,
    double ReferableDrScore,
    double ReferableDrThreshold,
    bool ReferableDr,
    double ReferableDmeScore,
    double ReferableDmeThreshold,
    bool ReferableDme,
    ModelResponse Model,
    string? HeatmapUrl,
    PixelBox? HeatmapBox);

public sealed record PixelBox(int X, int Y, int Width, int Height);

public sealed record CaseSlideResponse(
    string SopInstanceUid,
    int? Width,
    int? Height,
    int? TileSize,
    int? MaxLevel,
    string TilesUrl,
    string? HeatmapUrl,
    CaseSlideAnalysisResponse? Analysis);

public sealed record CaseSlideAnalysisResponse(
    string Status,
    double? Probability,
    double Threshold,
    bool? Positive,
    ModelResponse Model,
    IReadOnlyList<SlideRegionResponse> TopRegions,
    string? FailureReason);

public sealed record SlideRegionResponse(int X, int Y, int Width, int Height, double Probability);

public sealed record EyeReadingResponse(int? Grade, bool? Dme, bool Ungradable, string? UngradableReason);

/// <param name="Queue">The queue the case was read from: <c>Primary</c>, <c>SecondRead</c>, <c>Adjudication</c> or <c>Pathology</c>.</param>
public sealed record ReadingResponse(
    Guid Id,
    string Queue,
    string ReaderId,
    string? ReaderName,
    bool Blind,
    EyeReadingResponse? Right,
    EyeReadingResponse? Left,
    string? Referral,
    string? ComputedReferral,
    string? OverrideReason,
    bool? Metastasis,
    string? SizeCategory,
    string? Comment,
    bool? AgreesWithModel,
    double SecondsOnCase,
    DateTimeOffset SubmittedAt);

public sealed record FinalResponse(string Source, string? Referral, bool? Metastasis, DateTimeOffset FinalisedAt);

public sealed record PriorResponse(
    string StudyInstanceUid, string? StudyDate, DateTimeOffset ReceivedAt, string Status, int? WorstGrade, string? Referral);
