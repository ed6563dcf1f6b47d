namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>
/// Which patches hold tissue: the rule the metastasis model's card states (<c>tissueDetection</c>), so that training,
/// the card's slide metrics and slide inference all pick the same patches.
/// </summary>
public static class TissueRule
{
    /// <summary>A pixel is bare glass when each of R, G and B is at least this.</summary>
    public const int GlassMinimum = 220;

    /// <summary>A patch is tissue when at least this fraction of its pixels is not glass.</summary>
    public const double MinimumTissueFraction = 0.5;

    public static bool IsGlass(byte r, byte g, byte b) => r >= GlassMinimum && g >= GlassMinimum && b >= GlassMinimum;

    /// <summary>Fraction of non-glass pixels in the size×size patch at (x, y) of an interleaved RGB image.</summary>
    public static double TissueFraction(ReadOnlySpan<byte> rgb, int width, int x, int y, int size)
    {
        var tissue = 0;
        for (var row = y; row < y + size; row++)
        {
            var line = rgb.Slice((row * width + x) * 3, size * 3);
            for (var i = 0; i < line.Length; i += 3)
            {
                if (!IsGlass(line[i], line[i + 1], line[i + 2]))
                {
                    tissue++;
                }
            }
        }

        return (double)tissue / (size * size);
    }

    public static bool IsTissue(ReadOnlySpan<byte> rgb, int width, int x, int y, int size) =>
        TissueFraction(rgb, width, x, y, size) >= MinimumTissueFraction;
}
