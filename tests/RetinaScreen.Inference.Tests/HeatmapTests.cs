using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Heatmaps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Inference.Tests;

public sealed class HeatmapTests(ShippedModel model) : IClassFixture<ShippedModel>
{
    [Fact]
    public void REQ_AI_05_grader_returns_a_class_activation_map_and_the_overlay_is_a_png()
    {
        var pdr = TestImages.Generate(TestImages.SeedBase + 7000, 1, FundusSpec.Default with { Grade = 4 })[0];

        var grading = model.Grader.Grade(pdr.Frame);

        Assert.Equal(4, model.Grader.CamSize);
        Assert.NotNull(grading.Cam);
        Assert.Equal(16, grading.Cam!.Length);
        Assert.Contains(grading.Cam, v => v > 0);

        Assert.NotNull(grading.Crop);
        var png = HeatmapOverlay.RenderPng(grading.Crop!, grading.Cam, grading.CamSize);
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal(model.Grader.InputSize, image.Width);
        Assert.Equal(model.Grader.InputSize, image.Height);
    }

    [Fact]
    public void REQ_AI_05_heatmap_png_decodes_to_exactly_the_drawn_overlay()
    {
        // The encoder trades bytes for speed (stored deflate); a grader must still see every pixel as drawn.
        var pdr = TestImages.Generate(TestImages.SeedBase + 7050, 1, FundusSpec.Default with { Grade = 3 })[0];
        var grading = model.Grader.Grade(pdr.Frame);

        var drawn = HeatmapOverlay.Render(grading.Crop!, grading.Cam!, grading.CamSize);
        var png = HeatmapOverlay.RenderPng(grading.Crop!, grading.Cam!, grading.CamSize);

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal(drawn.Width, image.Width);
        Assert.Equal(drawn.Height, image.Height);
        var decoded = new byte[drawn.Pixels.Length];
        image.CopyPixelDataTo(decoded);
        Assert.Equal(drawn.Pixels, decoded);
        Assert.NotEqual(grading.Crop!.Pixels, decoded); // the map was drawn, not just the crop passed through
    }

    [Fact]
    public void REQ_AI_05_referable_eyes_carry_more_activation_than_healthy_ones()
    {
        var healthy = TestImages.Generate(TestImages.SeedBase + 7100, 6, FundusSpec.Default with { Grade = 0, Dme = false });
        var severe = TestImages.Generate(TestImages.SeedBase + 7200, 6, FundusSpec.Default with { Grade = 4 });

        var healthyPeak = model.Grader.GradeBatch([.. healthy.Select(i => i.Frame)]).Average(g => g.Cam!.Max());
        var severePeak = model.Grader.GradeBatch([.. severe.Select(i => i.Frame)]).Average(g => g.Cam!.Max());

        Assert.True(severePeak > healthyPeak, $"mean peak activation: severe {severePeak:F2}, healthy {healthyPeak:F2}");
    }

    [Theory]
    [InlineData(256, 4)]
    [InlineData(256, 7)]
    [InlineData(64, 4)]
    [InlineData(37, 5)]
    [InlineData(8, 1)]
    [InlineData(3, 4)]
    public void REQ_AI_05_overlay_is_the_reference_implementations_byte_for_byte(int size, int camSize)
    {
        // The vectorised overlay does the per-pixel arithmetic lane by lane in the same order: the same bytes, for any
        // size (vector tails) and any map (negative evidence, values under and over the colour scale's floor).
        var random = new Random(TestImages.SeedBase + 7400 + size * 10 + camSize);
        var frame = TestImages.Generate(TestImages.SeedBase + 7400, 1, FundusSpec.Default with { Grade = 3 })[0].Frame;
        var crop = FundusPreprocessor.Crop(frame, size);
        foreach (var peak in new[] { 0.5f, 1f, 6f })
        {
            var cam = Enumerable.Range(0, camSize * camSize).Select(_ => (float)(random.NextDouble() * 1.4 - 0.4) * peak).ToArray();

            var overlay = HeatmapOverlay.Render(crop, cam, camSize);

            Assert.Equal(ReferenceHeatmapOverlay.Render(crop, cam, camSize).Pixels, overlay.Pixels);
        }
    }

    [Fact]
    public void REQ_AI_05_overlay_colours_only_where_the_map_is_positive()
    {
        var frame = TestImages.Generate(TestImages.SeedBase + 7300, 1, FundusSpec.Default with { Grade = 0 })[0].Frame;
        var cam = new float[16];
        cam[0] = 10; // top-left cell hot, the rest zero

        var plain = FundusPreprocessor.Crop(frame, 64);
        var overlay = HeatmapOverlay.Render(plain, cam, 4);

        var bottomRight = (63 * 64 + 63) * 3;
        Assert.Equal(plain.Pixels[bottomRight..(bottomRight + 3)], overlay.Pixels[bottomRight..(bottomRight + 3)]);
        Assert.NotEqual(plain.Pixels[..3], overlay.Pixels[..3]);
    }
}
