namespace RetinaScreen.Cli.Synthesis;

/// <summary>What to synthesise. Anything left null is drawn from the seed, so a seed alone reproduces an image.</summary>
public sealed record FundusSpec
{
    public static FundusSpec Default { get; } = new();

    /// <summary>Width and height of the square frame in pixels.</summary>
    public int Size { get; init; } = 768;

    /// <summary>ICDR grade 0–4, or null to draw one from <see cref="GradeWeights"/>.</summary>
    public int? Grade { get; init; }

    /// <summary>Diabetic macular edema, or null to draw it with a grade-dependent probability.</summary>
    public bool? Dme { get; init; }

    /// <summary>A forced quality defect, or null to draw one with <see cref="UngradableFraction"/>.</summary>
    public QualityDefect? Defect { get; init; }

    /// <summary>Probability of a quality defect when <see cref="Defect"/> is null.</summary>
    public double UngradableFraction { get; init; }

    /// <summary>"R" or "L", or null to draw one.</summary>
    public string? Laterality { get; init; }

    /// <summary>Relative frequency of grades 0–4 when <see cref="Grade"/> is null.
    /// Richer in disease than a screening population so every grade is well represented.</summary>
    public IReadOnlyList<double> GradeWeights { get; init; } = [0.35, 0.15, 0.2, 0.15, 0.15];
}
