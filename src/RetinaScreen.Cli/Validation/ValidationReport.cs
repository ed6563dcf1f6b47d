namespace RetinaScreen.Cli.Validation;

/// <summary>What <c>retinascreen validate</c> measured, as written to JSON.</summary>
public sealed record ValidationReport(
    string Data,
    int Images,
    GradabilityReport Gradability,
    ModelReport Model,
    ModelReport? Candidate,
    CandidateComparison? Comparison);

public sealed record Interval(double Value, double Lower, double Upper);

/// <summary>Gradability on all images: "positive" is ungradable (what must be caught).</summary>
public sealed record GradabilityReport(string Method, int Ungradable, int Gradable, Interval UngradableSensitivity, Interval GradableSpecificity);

/// <summary>A DR model on the images that are gradable by ground truth (as Gulshan et al. reported on gradable images).</summary>
public sealed record ModelReport(
    string Name,
    string Version,
    string Sha256,
    int Images,
    string AucMethod,
    BinaryReport ReferableDr,
    BinaryReport ReferableDme,
    double GradeQuadraticKappa,
    double GradeAccuracy,
    int[][] GradeConfusion);

public sealed record BinaryReport(int Positives, int Negatives, Interval Auc, IReadOnlyList<OperatingPointReport> OperatingPoints);

public sealed record OperatingPointReport(string Name, double Threshold, Interval Sensitivity, Interval Specificity);

/// <summary>Candidate (shadow) against the production model on the same images.</summary>
public sealed record CandidateComparison(double ReferableDrAgreement, double GradeAgreement, double ReferableDrAucDifference);
