using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference.Tests;

public sealed class PreprocessingTests
{
    [Fact]
    public void REQ_AI_03_crop_frames_the_fundus_field_in_a_wide_camera_frame()
    {
        // A 4:3 camera frame with the 600-pixel field off to the right: the crop must find and centre it.
        var field = FundusSynthesizer.Generate(TestImages.SeedBase + 9000, FundusSpec.Default with { Size = 600 }).Frame;
        var wide = new byte[1000 * 750 * 3];
        for (var y = 0; y < 600; y++)
        {
            Array.Copy(field.Pixels, y * 600 * 3, wide, ((y + 75) * 1000 + 350) * 3, 600 * 3);
        }

        var (x0, y0, x1, y1) = FundusPreprocessor.FindField(new RgbFrame(1000, 750, wide));
        var crop = FundusPreprocessor.Crop(new RgbFrame(1000, 750, wide));

        Assert.InRange(x0, 350, 400);
        Assert.InRange(x1, 900, 950);
        Assert.InRange(y0, 75, 125);
        Assert.InRange(y1, 625, 675);
        Assert.Equal(256, crop.Width);
        Assert.Equal(256, crop.Height);
        Assert.True(Pixel(crop, 128, 128) > 60, "the centre of the crop is retina");
        Assert.True(Pixel(crop, 2, 2) < 15, "the corners of the crop are background");
    }

    [Fact]
    public void REQ_AI_03_normalisation_is_planar_and_uses_the_cards_statistics()
    {
        var crop = new RgbFrame(2, 1, [255, 0, 51, 0, 255, 102]);
        var tensor = new float[6];

        FundusPreprocessor.Normalise(crop, [0.5f, 0.5f, 0.2f], [0.5f, 0.25f, 0.1f], tensor);

        Assert.Equal([1f, -1f, -2f, 2f, 0f, 2f], tensor, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Theory]
    [InlineData(768, 256)]
    [InlineData(1000, 256)]
    [InlineData(333, 256)]
    [InlineData(128, 256)]
    [InlineData(600, 64)]
    public void REQ_AI_03_fast_crop_equals_the_per_pixel_definition_within_one_grey_level(int photograph, int size)
    {
        // The separable crop must give what the model was trained on: the mean of k×k bilinear taps per output pixel.
        var frame = FundusSynthesizer.Generate(TestImages.SeedBase + 9100 + photograph, FundusSpec.Default with { Size = photograph }).Frame;

        var fast = FundusPreprocessor.Crop(frame, size);
        var reference = PerPixelCrop(frame, FundusPreprocessor.FindField(frame), size);

        var differing = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.InRange(Math.Abs(fast.Pixels[i] - reference[i]), 0, 1);
            differing += fast.Pixels[i] == reference[i] ? 0 : 1;
        }

        Assert.True(differing < reference.Length / 100, $"{differing} of {reference.Length} values differ by one grey level");
    }

    public static TheoryData<string> PhotographNames => new(Photographs.Select(row => (string)row[0]).Distinct());

    public static TheoryData<string, int> Photographs => new()
    {
        { "768 px synthetic", 256 },
        { "1001x997 frame, odd sizes", 256 },
        { "3000 px synthetic", 256 },
        { "no field", 256 },
        { "field cut by the frame's borders", 256 },
        { "hot pixels and a line in the margins", 256 },
        { "field too small to count", 256 },
        { "20x14 frame", 256 },
        { "1001x997 frame, odd sizes", 99 },
    };

    [Theory]
    [MemberData(nameof(PhotographNames))]
    public void REQ_AI_03_field_box_is_the_reference_implementations_box(string photograph)
    {
        var frame = Photograph(photograph);

        Assert.Equal(ReferenceFundusPreprocessor.FindField(frame), FundusPreprocessor.FindField(frame));
    }

    [Fact]
    public void REQ_AI_03_field_box_is_the_reference_implementations_box_on_random_frames()
    {
        // Widths on both sides of a vector's lanes and of a column strip, noise up to the threshold, bright specks, and a
        // block of field anywhere or nowhere: the search from the edges inward must find the box that counting every
        // pixel finds, including the fallback to the whole frame.
        var random = new Random(TestImages.SeedBase + 9600);
        foreach (var (width, height) in new[] { (0, 0), (3, 0), (0, 3), (1, 1), (5, 7), (15, 40), (16, 16), (31, 33), (32, 9), (33, 17), (64, 5), (97, 90), (257, 301), (640, 480) })
        {
            for (var trial = 0; trial < 25; trial++)
            {
                var pixels = new byte[width * height * 3];
                var specks = random.NextDouble() * 0.05;
                for (var i = 0; i < pixels.Length; i++)
                {
                    pixels[i] = (byte)(random.NextDouble() < specks ? random.Next(256) : random.Next(FundusPreprocessor.FieldThreshold + 2));
                }

                var (x, y) = (random.Next(width + 1), random.Next(height + 1));
                var (blockWidth, blockHeight) = (random.Next(width - x + 1), random.Next(height - y + 1));
                for (var row = y; row < y + blockHeight; row++)
                {
                    for (var column = x; column < x + blockWidth; column++)
                    {
                        pixels[(row * width + column) * 3 + random.Next(3)] = 200;
                    }
                }

                var frame = new RgbFrame(width, height, pixels);
                Assert.Equal(ReferenceFundusPreprocessor.FindField(frame), FundusPreprocessor.FindField(frame));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Photographs))]
    public void REQ_AI_03_crop_equals_the_reference_implementation_within_one_grey_level(string photograph, int size)
    {
        // Training crops were made by the scalar implementation; the vectorised one sums the same products in another
        // order, which may move a value that sits on a rounding boundary by one grey level, and nothing more.
        var frame = Photograph(photograph);

        var fast = FundusPreprocessor.Crop(frame, size);
        var reference = ReferenceFundusPreprocessor.Crop(frame, size);

        Assert.Equal((reference.Width, reference.Height), (fast.Width, fast.Height));
        var differing = 0;
        for (var i = 0; i < reference.Pixels.Length; i++)
        {
            Assert.InRange(Math.Abs(fast.Pixels[i] - reference.Pixels[i]), 0, 1);
            differing += fast.Pixels[i] == reference.Pixels[i] ? 0 : 1;
        }

        // Each differing value differs by one level, so this is also the mean difference in grey levels.
        var meanDifference = differing / (double)reference.Pixels.Length;
        Assert.True(meanDifference < 0.001, $"{differing} of {reference.Pixels.Length} values differ by one grey level");
    }

    [Theory]
    [InlineData(256, 256)]
    [InlineData(37, 29)]
    [InlineData(5, 1)]
    public void REQ_AI_03_normalisation_is_the_reference_implementations_bit_for_bit(int width, int height)
    {
        // Any length, so the vector loop's tail is covered too; the same division and subtraction per value, so the
        // same floats.
        var pixels = new byte[width * height * 3];
        new Random(TestImages.SeedBase + 9200 + width).NextBytes(pixels);
        var crop = new RgbFrame(width, height, pixels);
        float[] mean = [0.485f, 0.456f, 0.406f];
        float[] std = [0.229f, 0.224f, 0.225f];
        var fast = new float[pixels.Length];
        var reference = new float[pixels.Length];

        FundusPreprocessor.Normalise(crop, mean, std, fast);
        ReferenceFundusPreprocessor.Normalise(crop, mean, std, reference);

        Assert.Equal(reference, fast);
    }

    /// <summary>Camera frames for comparing with the reference implementation: sizes that are no multiple of a vector,
    /// fields that touch the border or are missing, and bright specks that the field rules must ignore.</summary>
    private static RgbFrame Photograph(string name)
    {
        switch (name)
        {
            case "768 px synthetic":
                return Synthetic(768);
            case "3000 px synthetic":
                return Synthetic(3000);
            case "1001x997 frame, odd sizes":
                return TestImages.Place(Synthetic(900), 1001, 997, 61, 40);
            case "field cut by the frame's borders":
                // A 900-pixel field seen through a 820×700 window: cut at the left, top and bottom.
                return TestImages.Window(Synthetic(900), 0, 100, 820, 700);
            case "field too small to count":
                return TestImages.Place(Synthetic(100), 1000, 900, 400, 400);
            case "20x14 frame":
                return TestImages.Window(Synthetic(64), 22, 25, 20, 14);
            case "no field":
            {
                // Dark camera noise up to the threshold itself, and a few isolated hot pixels: no row or column has enough.
                var random = new Random(TestImages.SeedBase + 9300);
                var frame = new RgbFrame(640, 480, new byte[640 * 480 * 3]);
                for (var i = 0; i < frame.Pixels.Length; i++)
                {
                    frame.Pixels[i] = (byte)random.Next(0, FundusPreprocessor.FieldThreshold + 1);
                }

                for (var n = 0; n < 40; n++)
                {
                    frame.Pixels[(random.Next(480) * 640 + random.Next(640)) * 3 + random.Next(3)] = 255;
                }

                return frame;
            }

            case "hot pixels and a line in the margins":
            {
                var frame = TestImages.Place(Synthetic(700), 1000, 800, 150, 50);
                var random = new Random(TestImages.SeedBase + 9400);
                for (var n = 0; n < 200; n++)
                {
                    frame.Pixels[(random.Next(800) * 1000 + random.Next(1000)) * 3 + random.Next(3)] = 255;
                }

                // One row short of the rule (1000 / 200 = 5 pixels needed) and one column that just meets it (800 / 200 = 4).
                Paint(frame, Enumerable.Range(20, 4).Select(x => (x, 10)));
                Paint(frame, Enumerable.Range(300, 4).Select(y => (990, y)));
                return frame;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "no such photograph");
        }

        static RgbFrame Synthetic(int size) =>
            FundusSynthesizer.Generate(TestImages.SeedBase + 9500 + size, FundusSpec.Default with { Size = size }).Frame;

        static void Paint(RgbFrame frame, IEnumerable<(int X, int Y)> points)
        {
            foreach (var (x, y) in points)
            {
                frame.Pixels[(y * frame.Width + x) * 3 + 1] = 200;
            }
        }
    }

    /// <summary>The crop as specified (and as first written): each output pixel averages k×k bilinear samples, black outside.</summary>
    private static byte[] PerPixelCrop(RgbFrame frame, (int X0, int Y0, int X1, int Y1) field, int size)
    {
        var side = Math.Max(field.X1 - field.X0 + 1, field.Y1 - field.Y0 + 1);
        var left = (field.X0 + field.X1 + 1) / 2.0 - side / 2.0;
        var top = (field.Y0 + field.Y1 + 1) / 2.0 - side / 2.0;
        var scale = side / (double)size;
        var taps = Math.Max(1, (int)Math.Round(scale));
        var output = new byte[size * size * 3];
        for (var oy = 0; oy < size; oy++)
        {
            for (var ox = 0; ox < size; ox++)
            {
                for (var c = 0; c < 3; c++)
                {
                    double acc = 0;
                    for (var ty = 0; ty < taps; ty++)
                    {
                        var sy = top + (oy + (ty + 0.5) / taps) * scale - 0.5;
                        for (var tx = 0; tx < taps; tx++)
                        {
                            var sx = left + (ox + (tx + 0.5) / taps) * scale - 0.5;
                            var x0 = (int)Math.Floor(sx);
                            var y0 = (int)Math.Floor(sy);
                            var fx = sx - x0;
                            var fy = sy - y0;
                            var a = Sample(frame, x0, y0, c);
                            var b = Sample(frame, x0 + 1, y0, c);
                            var d = Sample(frame, x0, y0 + 1, c);
                            var e = Sample(frame, x0 + 1, y0 + 1, c);
                            acc += (a + (b - a) * fx) * (1 - fy) + (d + (e - d) * fx) * fy;
                        }
                    }

                    output[(oy * size + ox) * 3 + c] = (byte)Math.Clamp((int)(acc / (taps * taps) + 0.5), 0, 255);
                }
            }
        }

        return output;
    }

    private static double Sample(RgbFrame frame, int x, int y, int c) =>
        x < 0 || y < 0 || x >= frame.Width || y >= frame.Height ? 0 : frame.Pixels[(y * frame.Width + x) * 3 + c];

    private static int Pixel(RgbFrame frame, int x, int y) => frame.Pixels[(y * frame.Width + x) * 3];
}
