namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// The card's tissue rule ("non-glass-fraction"), applied to every patch before the model sees it: glass (background)
/// is near white, so a pixel is glass when each of its R, G and B values is at least <see cref="GlassMinimum"/>, and a
/// patch is tissue when at least <see cref="MinimumTissueFraction"/> of its pixels are not glass. Other patches are never
/// scored: they cost nothing and cannot raise the slide's score.
/// </summary>
public sealed record TissueDetectionRule
{
    public const string NonGlassFraction = "non-glass-fraction";

    public required string Method { get; init; }

    /// <summary>A pixel whose every channel is at least this is glass (0–255). Required: a card whose rule this code
    /// cannot read must fail to load rather than fall back to some other rule.</summary>
    public required int GlassMinimum { get; init; }

    /// <summary>The share of a patch's pixels that must be tissue for the patch to be scored (0–1).</summary>
    public required double MinimumTissueFraction { get; init; }

    /// <summary>The rule in words, as the card states it.</summary>
    public string? Description { get; init; }

    internal void Validate(string cardPath)
    {
        if (!string.Equals(Method, NonGlassFraction, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Model card {cardPath} asks for tissue detection '{Method}'; only {NonGlassFraction} is implemented.");
        }

        if (GlassMinimum is < 1 or > 255 || MinimumTissueFraction is < 0 or > 1 || double.IsNaN(MinimumTissueFraction))
        {
            throw new InvalidDataException($"Model card {cardPath} has an invalid tissue rule (glass minimum {GlassMinimum}, minimum tissue fraction {MinimumTissueFraction}).");
        }
    }
}

/// <summary>Decides which patches are tissue, by the card's non-glass-fraction rule.</summary>
public static class TissueDetector
{
    /// <summary>The share (0–1) of the pixels of the <paramref name="size"/>×<paramref name="size"/> patch at
    /// (<paramref name="x"/>, <paramref name="y"/>) of an interleaved RGB image that are not glass.</summary>
    public static double TissueFraction(ReadOnlySpan<byte> rgb, int stride, int x, int y, int size, int glassMinimum)
    {
        var tissue = 0;
        for (var row = 0; row < size; row++)
        {
            var line = rgb.Slice((y + row) * stride + x * 3, size * 3);
            for (var i = 0; i < line.Length; i += 3)
            {
                if (line[i] < glassMinimum || line[i + 1] < glassMinimum || line[i + 2] < glassMinimum)
                {
                    tissue++;
                }
            }
        }

        return tissue / (double)(size * size);
    }

    public static bool IsTissue(ReadOnlySpan<byte> rgb, int stride, int x, int y, int size, TissueDetectionRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return TissueFraction(rgb, stride, x, y, size, rule.GlassMinimum) >= rule.MinimumTissueFraction;
    }
}
