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

    private static int Pixel(RgbFrame frame, int x, int y) => frame.Pixels[(y * frame.Width + x) * 3];
}
