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
    IReadOnlyList<EyeResponse> Eyes)
{
    /// <summary>Why a model will not answer for an image of the case (its grading failed, or it waited past its time),
    /// which sent the case to a person as ungradable; null otherwise.</summary>
    public string? FailureReason { get; init; }
}

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
    DateTimeOffset CreatedAt)
{
    /// <summary>The prediction's id; its heatmap overlay (PNG) is at <see cref="HeatmapUrl"/> when one was made.</summary>
    public Guid Id { get; init; }

    /// <summary><c>/api/predictions/{id}/heatmap</c>, or null for an ungradable photograph (not graded, so no heatmap).</summary>
    public string? HeatmapUrl { get; init; }
}

public sealed record ModelResponse(string Name, string Version, string Sha256);
