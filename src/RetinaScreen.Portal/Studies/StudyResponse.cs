namespace RetinaScreen.Portal.Studies;

/// <summary>One study with its screening outcome and, per eye, the latest model decision on each photograph.</summary>
public sealed record StudyResponse(
    string StudyInstanceUid,
    string PatientId,
    string IssuerOfPatientId,
    string? PatientName,
    string? StudyDate,
    string? AccessionNumber,
    string? InstitutionName,
    DateTimeOffset ReceivedAt,
    string? Status,
    DateTimeOffset? QualityCheckedAt,
    DateTimeOffset? GradedAt,
    DateTimeOffset? ReviewedAt,
    int? WorstGrade,
    string? WorstGradeName,
    bool? ReferableDr,
    bool? ReferableDme,
    bool AnyUngradable,
    IReadOnlyList<EyeResponse> Eyes);

/// <param name="Laterality">"R", "L" or "unknown".</param>
public sealed record EyeResponse(string Laterality, IReadOnlyList<ImageResponse> Images);

/// <param name="Prediction">The latest prediction for the photograph; null while it has not been graded.</param>
public sealed record ImageResponse(
    string SopInstanceUid,
    string SeriesInstanceUid,
    DateTimeOffset ReceivedAt,
    string Sha256,
    PredictionResponse? Prediction);

public sealed record PredictionResponse(
    bool Gradable,
    string? UngradableReason,
    int? Grade,
    string? GradeName,
    double[] GradeProbabilities,
    double ReferableDrScore,
    double ReferableDmeScore,
    double ReferableDrThreshold,
    double ReferableDmeThreshold,
    bool ReferableDr,
    bool ReferableDme,
    ModelResponse Model,
    string ImageSha256,
    double PreprocessMilliseconds,
    double InferenceMilliseconds,
    DateTimeOffset CreatedAt);

public sealed record ModelResponse(string Name, string Version, string Sha256);
