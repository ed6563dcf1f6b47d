namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>What to synthesise: one H&amp;E-stained lymph node section. Anything not fixed here is drawn from the seed.</summary>
public sealed record SlideSpec
{
    public static SlideSpec Default { get; } = new();

    /// <summary>Width of the slide image in pixels (about 0.5 µm per pixel, a 20× scan).</summary>
    public int Width { get; init; } = 2048;

    public int Height { get; init; } = 2048;

    /// <summary>Whether the node holds metastatic carcinoma.</summary>
    public bool Tumour { get; init; }

    /// <summary>Number of separate tumour deposits when <see cref="Tumour"/> is set; null draws 1–4.</summary>
    public int? TumourRegionCount { get; init; }

    /// <summary>Smallest deposit radius, in pixels of a 2048-pixel slide (scaled with the slide's size).</summary>
    public double MinTumourRadius { get; init; } = 40;

    /// <summary>Largest deposit radius, in pixels of a 2048-pixel slide; radii are drawn log-uniformly in between.</summary>
    public double MaxTumourRadius { get; init; } = 260;
}
