using System.ComponentModel.DataAnnotations;

namespace RetinaScreen.Screening;

/// <summary>The reading room's routing (<c>RetinaScreen:Reading</c>). Fractions are of cases, sampled by Study Instance UID.</summary>
public sealed class ReadingOptions
{
    public const string SectionName = "RetinaScreen:Reading";

    /// <summary>Model-negative fundus cases sent to a grader anyway, for quality assurance.</summary>
    [Range(0.0, 1.0)]
    public double QualitySampleFraction { get; set; } = 0.10;

    /// <summary>Cases read twice, independently.</summary>
    [Range(0.0, 1.0)]
    public double SecondReadFraction { get; set; } = 0.10;

    /// <summary>Cases whose model output stays hidden from each reader until they have submitted (automation bias).</summary>
    [Range(0.0, 1.0)]
    public double BlindFraction { get; set; } = 0.10;

    /// <summary>Model-negative slides sent to a pathologist anyway.</summary>
    [Range(0.0, 1.0)]
    public double PathologySampleFraction { get; set; } = 0.10;

    /// <summary>How long a claim lasts unless renewed; the portal renews it while the case is open.</summary>
    [Range(1, 24 * 60)]
    public int LeaseMinutes { get; set; } = 15;
}
