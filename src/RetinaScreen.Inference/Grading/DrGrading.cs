namespace RetinaScreen.Inference.Grading;

/// <summary>One photograph's DR grading.</summary>
/// <param name="Grade">The most probable ICDR grade 0–4.</param>
/// <param name="GradeProbabilities">Probabilities of grades 0–4.</param>
/// <param name="ReferableDrScore">Probability of referable DR (grade ≥ 2 or DME).</param>
/// <param name="ReferableDmeScore">Probability of referable diabetic macular edema.</param>
/// <param name="ReferableDr">Score at or above <paramref name="DrThreshold"/>, the card's operating point.</param>
/// <param name="ReferableDme">Score at or above <paramref name="DmeThreshold"/>.</param>
/// <param name="Cam">The referable-DR class activation map over the model's input crop (row-major, <paramref name="CamSize"/>²), null when the model has none.</param>
public sealed record DrGrading(
    int Grade,
    double[] GradeProbabilities,
    double ReferableDrScore,
    double ReferableDmeScore,
    bool ReferableDr,
    bool ReferableDme,
    double DrThreshold,
    double DmeThreshold,
    TimeSpan Preprocess,
    TimeSpan Inference,
    float[]? Cam = null,
    int CamSize = 0)
{
    /// <summary>The field crop the model saw (input size, 8-bit RGB): what the heatmap is drawn on.</summary>
    public Dicom.Imaging.RgbFrame? Crop { get; init; }
}
