namespace RetinaScreen.Cli.Synthesis;

/// <summary>Acquisition faults that make a photograph ungradable.</summary>
public enum QualityDefect
{
    None = 0,
    Blur,
    UnderExposure,
    OverExposure,
    LashArtifact,
    OffCentre,
}

public static class QualityDefectNames
{
    /// <summary>The stable, lower-case name used in labels.csv and ground truth.</summary>
    public static string ToLabel(this QualityDefect defect) => defect switch
    {
        QualityDefect.None => "none",
        QualityDefect.Blur => "blur",
        QualityDefect.UnderExposure => "underexposed",
        QualityDefect.OverExposure => "overexposed",
        QualityDefect.LashArtifact => "lash-artifact",
        QualityDefect.OffCentre => "off-centre",
        _ => throw new ArgumentOutOfRangeException(nameof(defect), defect, null),
    };
}
