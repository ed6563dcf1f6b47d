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
