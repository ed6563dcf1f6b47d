using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Inference.Tests;

/// <summary>Seeds for tests live at 9,000,000 and above: never used by training (1M), validation (2M) or held-out test (3M).</summary>
internal static class TestImages
{
    public const int SeedBase = 9_000_000;

    public static SyntheticFundus[] Generate(int firstSeed, int count, FundusSpec spec)
    {
        var images = new SyntheticFundus[count];
        Parallel.For(0, count, i => images[i] = FundusSynthesizer.Generate(firstSeed + i, spec));
        return images;
    }

    /// <summary>Area under the ROC curve by the Mann–Whitney statistic (ties count one half).</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        double wins = 0;
        long pairs = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            if (!labels[i])
            {
                continue;
            }

            for (var j = 0; j < scores.Count; j++)
            {
                if (labels[j])
                {
                    continue;
                }

                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }

        return wins / pairs;
    }

    /// <summary>Pixels that a red lesion darkened: both red and green fell clearly below the lesion-free rendering.</summary>
    public static int RedLesionPixels(RgbFrame withLesions, RgbFrame without)
    {
        var count = 0;
        for (var i = 0; i < withLesions.Pixels.Length; i += 3)
        {
            if (without.Pixels[i] - withLesions.Pixels[i] > 15 && without.Pixels[i + 1] - withLesions.Pixels[i + 1] > 12)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary><paramref name="field"/> on a black frame of the given size, its top-left corner at (x, y).</summary>
    public static RgbFrame Place(RgbFrame field, int width, int height, int x, int y)
    {
        var pixels = new byte[width * height * 3];
        for (var row = 0; row < field.Height; row++)
        {
            Array.Copy(field.Pixels, row * field.Stride, pixels, ((row + y) * width + x) * 3, field.Stride);
        }

        return new RgbFrame(width, height, pixels);
    }

    /// <summary>The part of <paramref name="frame"/> from (x, y) of the given size.</summary>
    public static RgbFrame Window(RgbFrame frame, int x, int y, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var row = 0; row < height; row++)
        {
            Array.Copy(frame.Pixels, ((row + y) * frame.Width + x) * 3, pixels, row * width * 3, width * 3);
        }

        return new RgbFrame(width, height, pixels);
    }
}
