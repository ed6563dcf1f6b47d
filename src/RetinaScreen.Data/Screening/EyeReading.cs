namespace RetinaScreen.Data.Screening;

/// <summary>One eye as a reader saw it: an ICDR grade and a DME call, or ungradable with a reason.</summary>
public sealed record EyeReading
{
    /// <summary>ICDR 0–4; null when ungradable.</summary>
    public int? Grade { get; init; }

    /// <summary>Diabetic macular edema present; null when ungradable.</summary>
    public bool? Dme { get; init; }

    public bool Ungradable { get; init; }

    /// <summary>Chosen from a list in the portal; never patient data.</summary>
    public string? UngradableReason { get; init; }

    /// <summary>Referable in this eye: moderate NPDR or worse, or DME.</summary>
    public bool Referable => Grade >= 2 || Dme == true;
}
