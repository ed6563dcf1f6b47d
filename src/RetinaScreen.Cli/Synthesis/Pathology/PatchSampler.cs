namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>A square patch cut from a slide, with its label.</summary>
/// <param name="Tumour">The patch's central half (the middle 32×32 of a 64×64 patch) is mostly tumour.</param>
/// <param name="TumourFraction">Fraction of the whole patch under the tumour mask.</param>
public sealed record LabelledPatch(int SlideSeed, int X, int Y, int Size, byte[] Rgb, bool Tumour, double TumourFraction);

/// <summary>
/// Cuts labelled training patches from a slide: tissue patches only (<see cref="TissueRule"/>), at random offsets
/// (not the inference grid, so the model sees every phase). Patches that hold some tumour but whose centre is not
/// mostly tumour are ambiguous and left out, so a label of 0 means no tumour anywhere in the patch.
/// On a slide with tumour, half the patches are drawn from positions centred in the tumour.
/// </summary>
public static class PatchSampler
{
    public const int PatchSize = 64;

    public static IReadOnlyList<LabelledPatch> Sample(SyntheticSlide slide, int count, int seed, int size = PatchSize)
    {
        ArgumentNullException.ThrowIfNull(slide);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (size < 8 || size > slide.Width || size > slide.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(size), $"A {size}-pixel patch does not fit a {slide.Width}x{slide.Height} slide.");
        }

        var rng = new Random(seed);
        var tumourPixels = slide.HasTumour ? TumourPixels(slide) : [];
        var patches = new List<LabelledPatch>(count);
        var wantTumour = tumourPixels.Length > 0 ? count / 2 : 0;
        var tumourCount = 0;
        // Bounded so that a slide with little tissue or a tiny deposit ends the search instead of spinning.
        for (var attempt = 0; patches.Count < count && attempt < count * 200; attempt++)
        {
            int x, y;
            var fromTumour = tumourCount < wantTumour && (attempt & 1) == 0;
            if (fromTumour)
            {
                var p = tumourPixels[rng.Next(tumourPixels.Length)];
                x = p % slide.Width - size / 2 + rng.Next(-size / 8, size / 8 + 1);
                y = p / slide.Width - size / 2 + rng.Next(-size / 8, size / 8 + 1);
                if (x < 0 || y < 0 || x + size > slide.Width || y + size > slide.Height)
                {
                    continue;
                }
            }
            else
            {
                x = rng.Next(slide.Width - size + 1);
                y = rng.Next(slide.Height - size + 1);
            }

            if (!TissueRule.IsTissue(slide.Rgb, slide.Width, x, y, size))
            {
                continue;
            }

            var (fraction, centre) = TumourCover(slide, x, y, size);
            var tumour = centre >= 0.5;
            if (fraction > 0 && !tumour)
            {
                continue;
            }

            if (tumour ? tumourCount >= wantTumour : patches.Count - tumourCount >= count - wantTumour)
            {
                continue;
            }

            tumourCount += tumour ? 1 : 0;
            patches.Add(new LabelledPatch(slide.Seed, x, y, size, Crop(slide, x, y, size), tumour, fraction));
        }

        return patches;
    }

    /// <summary>The interleaved RGB bytes of the size×size patch at (x, y).</summary>
    public static byte[] Crop(SyntheticSlide slide, int x, int y, int size)
    {
        ArgumentNullException.ThrowIfNull(slide);
        var patch = new byte[size * size * 3];
        for (var row = 0; row < size; row++)
        {
            Array.Copy(slide.Rgb, ((y + row) * slide.Width + x) * 3, patch, row * size * 3, size * 3);
        }

        return patch;
    }

    /// <summary>Fraction of the patch, and of its central half, under the tumour mask.</summary>
    public static (double Patch, double Centre) TumourCover(SyntheticSlide slide, int x, int y, int size)
    {
        ArgumentNullException.ThrowIfNull(slide);
        var all = 0;
        var centre = 0;
        var lo = size / 4;
        var hi = size - size / 4;
        for (var row = 0; row < size; row++)
        {
            for (var col = 0; col < size; col++)
            {
                if (slide.TumourMask[(y + row) * slide.Width + x + col] == 0)
                {
                    continue;
                }

                all++;
                if (row >= lo && row < hi && col >= lo && col < hi)
                {
                    centre++;
                }
            }
        }

        return ((double)all / (size * size), (double)centre / ((hi - lo) * (hi - lo)));
    }

    private static int[] TumourPixels(SyntheticSlide slide)
    {
        var list = new List<int>();
        // Every 4th pixel each way is plenty to pick centres from and keeps the list small.
        for (var y = 0; y < slide.Height; y += 4)
        {
            for (var x = 0; x < slide.Width; x += 4)
            {
                if (slide.TumourMask[y * slide.Width + x] != 0)
                {
                    list.Add(y * slide.Width + x);
                }
            }
        }

        return [.. list];
    }
}
