namespace RetinaScreen.Cli.Synthesis;

/// <summary>Ground truth for one synthetic photograph.</summary>
/// <param name="IcdrGrade">International Clinical DR severity 0 (none) … 4 (proliferative).</param>
/// <param name="ReferableDr">Grade ≥ 2 or DME (Gulshan et al. 2016's referable definition).</param>
/// <param name="Dme">Hard exudates within about one disc diameter of the fovea.</param>
/// <param name="Gradable">False when a quality defect was applied.</param>
/// <param name="Defect">"none", "blur", "underexposed", "overexposed", "lash-artifact" or "off-centre".</param>
/// <param name="Laterality">"R" or "L".</param>
/// <param name="Seed">The seed that reproduces this image.</param>
public sealed record FundusTruth(
    int IcdrGrade,
    bool ReferableDr,
    bool Dme,
    bool Gradable,
    string Defect,
    string Laterality,
    int Seed);
