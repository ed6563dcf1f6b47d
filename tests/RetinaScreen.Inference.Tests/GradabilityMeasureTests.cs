using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference.Tests;

public sealed class GradabilityMeasureTests
{
    public static TheoryData<string> Photographs => new(
        "768 px gradable",
        "768 px blurred",
        "768 px under-exposed",
        "768 px over-exposed",
        "768 px lashes",
        "768 px off-centre",
        "1536 px gradable",
        "3000 px gradable",
        "3000 px blurred",
        "1001x997 frame, odd sizes",
        "20x14 frame",
        "1x1 frame",
        "black frame",
        "white 16x98688 frame, 257 rows a box",
        "white 16x99072 frame, 258 rows a box",
        "near-white 257x98688 frame, boxes past 2^24");

    [Theory]
    [MemberData(nameof(Photographs))]
    public void REQ_AI_04_features_are_the_reference_implementations_bit_for_bit(string photograph)
    {
        // The classifier and the thresholds were fitted to the reference's features: the same doubles, bit for bit.
        var frame = Photograph(photograph);

        AssertSameBits(ReferenceGradabilityMeasure.Measure(frame), GradabilityAssessor.Measure(frame));
    }

    [Fact]
    public void REQ_AI_04_features_are_the_reference_implementations_bit_for_bit_on_random_frames()
    {
        // Widths on both sides of a vector's lanes, frames smaller and larger than the analysis size, noise around the
        // field threshold and the saturation level, and a disc of field anywhere or nowhere, with holes: every mask
        // edge, vector tail and Laplacian neighbourhood the photographs above may miss.
        var random = new Random(TestImages.SeedBase + 9700);
        for (var trial = 0; trial < 300; trial++)
        {
            var width = trial % 3 == 0 ? random.Next(1, 40) : random.Next(1, 900);
            var height = trial % 5 == 0 ? random.Next(1, 40) : random.Next(1, 900);
            var frame = RandomFrame(random, width, height);

            var reference = ReferenceGradabilityMeasure.Measure(frame);
            var measured = GradabilityAssessor.Measure(frame);

            Assert.True(Bits(reference).SequenceEqual(Bits(measured)), $"trial {trial}, {width}x{height}: expected {reference}, got {measured}");
        }
    }

    private static void AssertSameBits(QualityFeatures expected, QualityFeatures actual)
    {
        Assert.Equal(Bits(expected), Bits(actual));
    }

    /// <summary>Each feature's bits, so that even −0.0 against 0.0 or two NaNs would tell.</summary>
    private static long[] Bits(QualityFeatures f) =>
    [
        BitConverter.DoubleToInt64Bits(f.FieldFraction),
        BitConverter.DoubleToInt64Bits(f.CentreOffset),
        BitConverter.DoubleToInt64Bits(f.FieldFill),
        BitConverter.DoubleToInt64Bits(f.FieldAspect),
        BitConverter.DoubleToInt64Bits(f.MeanLuma),
        BitConverter.DoubleToInt64Bits(f.LumaP05),
        BitConverter.DoubleToInt64Bits(f.LumaP95),
        BitConverter.DoubleToInt64Bits(f.SaturatedFraction),
        BitConverter.DoubleToInt64Bits(f.ShadowFraction),
        BitConverter.DoubleToInt64Bits(f.Contrast),
        BitConverter.DoubleToInt64Bits(f.Sharpness),
    ];

    private static RgbFrame RandomFrame(Random random, int width, int height)
    {
        var pixels = new byte[width * height * 3];
        var kind = random.Next(4);
        if (kind == 0)
        {
            random.NextBytes(pixels);
            return new RgbFrame(width, height, pixels);
        }

        // Background noise up to just past the field threshold, a disc of field (sometimes saturating), holes in it.
        var (cx, cy) = (random.NextDouble() * width, random.NextDouble() * height);
        var radius = random.NextDouble() * Math.Max(width, height) * (kind == 1 ? 0.2 : 0.7);
        var level = random.Next(20, 256);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * 3;
                var inField = Math.Pow(x - cx, 2) + Math.Pow(y - cy, 2) < radius * radius && random.NextDouble() > 0.02;
                for (var c = 0; c < 3; c++)
                {
                    pixels[i + c] = inField
                        ? (byte)Math.Clamp(level - random.Next(60) + (c == 0 ? 30 : 0), 0, 255)
                        : (byte)random.Next(GradabilityAssessor.FieldThreshold + 3);
                }
            }
        }

        return new RgbFrame(width, height, pixels);
    }

    private static RgbFrame Photograph(string name)
    {
        return name switch
        {
            "768 px gradable" => Synthetic(768, QualityDefect.None),
            "768 px blurred" => Synthetic(768, QualityDefect.Blur),
            "768 px under-exposed" => Synthetic(768, QualityDefect.UnderExposure),
            "768 px over-exposed" => Synthetic(768, QualityDefect.OverExposure),
            "768 px lashes" => Synthetic(768, QualityDefect.LashArtifact),
            "768 px off-centre" => Synthetic(768, QualityDefect.OffCentre),
            "1536 px gradable" => Synthetic(1536, QualityDefect.None),
            "3000 px gradable" => Synthetic(3000, QualityDefect.None),
            "3000 px blurred" => Synthetic(3000, QualityDefect.Blur),
            "1001x997 frame, odd sizes" => TestImages.Place(Synthetic(900, QualityDefect.None), 1001, 997, 61, 40),
            "20x14 frame" => TestImages.Window(Synthetic(64, QualityDefect.None), 22, 25, 20, 14),
            "1x1 frame" => new RgbFrame(1, 1, [200, 90, 40]),
            "black frame" => new RgbFrame(300, 300, new byte[300 * 300 * 3]),
            // A box of 257 white rows sums to 65,535 per channel, the most a 16-bit lane holds; 258 rows must not use them.
            // Sixteen pixels wide, so that a row is more than one vector of bytes and the lanes are used at all.
            "white 16x98688 frame, 257 rows a box" => White(16, 98_688),
            "white 16x99072 frame, 258 rows a box" => White(16, 99_072),
            // Boxes of 257×257 pixels: their float sums pass 2^24 and round on the way, so the integer sums must not be used.
            "near-white 257x98688 frame, boxes past 2^24" => NearWhite(257, 98_688),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such photograph"),
        };

        static RgbFrame Synthetic(int size, QualityDefect defect) =>
            FundusSynthesizer.Generate(TestImages.SeedBase + 9800 + size + (int)defect, FundusSpec.Default with { Size = size, Defect = defect }).Frame;

        static RgbFrame White(int width, int height)
        {
            var pixels = new byte[width * height * 3];
            Array.Fill(pixels, byte.MaxValue);
            return new RgbFrame(width, height, pixels);
        }
    }

    /// <summary>White, but each band of <paramref name="width"/> rows begins with a different number of 254s, so the boxes differ.</summary>
    private static RgbFrame NearWhite(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, byte.MaxValue);
        var band = width * width * 3;
        for (var start = 0; start + band <= pixels.Length; start += band)
        {
            pixels.AsSpan(start, start / band * 397 % 60_000).Fill(254);
        }

        return new RgbFrame(width, height, pixels);
    }
}
