namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>One synthetic slide image and its ground truth.</summary>
public sealed class SyntheticSlide
{
    public SyntheticSlide(int width, int height, byte[] rgb, byte[] tumourMask, int seed)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(tumourMask);
        if (width <= 0 || height <= 0 || rgb.Length != width * height * 3 || tumourMask.Length != width * height)
        {
            throw new ArgumentException($"A {width}x{height} slide needs {width * height * 3} RGB bytes and {width * height} mask bytes.", nameof(rgb));
        }

        Width = width;
        Height = height;
        Rgb = rgb;
        TumourMask = tumourMask;
        Seed = seed;
        var tumourPixels = 0L;
        foreach (var m in tumourMask)
        {
            tumourPixels += m;
        }

        HasTumour = tumourPixels > 0;
        TumourFraction = (double)tumourPixels / tumourMask.Length;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Interleaved 8-bit RGB, rows top to bottom.</summary>
    public byte[] Rgb { get; }

    /// <summary>One byte per pixel: 1 where the pixel lies in a tumour deposit, else 0.</summary>
    public byte[] TumourMask { get; }

    public int Seed { get; }

    public bool HasTumour { get; }

    /// <summary>Fraction of all the slide's pixels (tissue and glass) under the tumour mask.</summary>
    public double TumourFraction { get; }

    /// <summary>The same slide with other pixels (e.g. as a JPEG round trip leaves them); the truth is unchanged.</summary>
    public SyntheticSlide WithPixels(byte[] rgb) => new(Width, Height, rgb, TumourMask, Seed);
}
