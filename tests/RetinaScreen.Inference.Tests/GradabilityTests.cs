using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Quality;
using Xunit.Abstractions;

namespace RetinaScreen.Inference.Tests;

public sealed class GradabilityTests(ITestOutputHelper output)
{
    private readonly GradabilityAssessor _assessor = new();

    [Fact]
    public void REQ_AI_04_good_photographs_pass()
    {
        var images = TestImages.Generate(TestImages.SeedBase + 6000, 30, FundusSpec.Default);

        var results = images.Select(i => _assessor.Assess(i.Frame)).ToList();
        foreach (var r in results.Where(r => !r.Gradable))
        {
            output.WriteLine($"rejected: {r.Reason} {r.Features}");
        }

        Assert.True(results.Count(r => r.Gradable) >= 0.9 * images.Length, $"{results.Count(r => r.Gradable)} of {images.Length} passed");
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1536)]
    public void REQ_AI_04_verdict_does_not_depend_on_camera_resolution(int size)
    {
        // Sharpness is measured per pixel: without a common analysis scale a high-resolution camera's photographs
        // would all look "blurred" and a small one's all sharp.
        var good = TestImages.Generate(TestImages.SeedBase + 6500, 6, FundusSpec.Default with { Size = size });
        var blurred = TestImages.Generate(TestImages.SeedBase + 6600, 6, FundusSpec.Default with { Size = size, Defect = QualityDefect.Blur });

        var goodResults = good.Select(i => _assessor.Assess(i.Frame)).ToList();
        var blurredResults = blurred.Select(i => _assessor.Assess(i.Frame)).ToList();
        output.WriteLine(string.Join(", ", goodResults.Concat(blurredResults).Select(r => r.Reason ?? "gradable")));

        Assert.True(goodResults.Count(r => r.Gradable) >= 5, $"{goodResults.Count(r => r.Gradable)} of 6 good {size}px photographs passed");
        Assert.True(blurredResults.Count(r => r.Reason == Gradability.Blurred) >= 5, $"{blurredResults.Count(r => r.Reason == Gradability.Blurred)} of 6 blurred {size}px photographs caught");
    }

    [Theory]
    [InlineData(QualityDefect.Blur, Gradability.Blurred)]
    [InlineData(QualityDefect.UnderExposure, Gradability.TooDark)]
    [InlineData(QualityDefect.OverExposure, Gradability.Overexposed)]
    [InlineData(QualityDefect.OffCentre, Gradability.FieldNotCentred)]
    [InlineData(QualityDefect.LashArtifact, null)]
    public void REQ_AI_04_defective_photographs_fail_with_their_reason(QualityDefect defect, string? expectedReason)
    {
        var images = TestImages.Generate(TestImages.SeedBase + 7000 + (int)defect * 100, 10, FundusSpec.Default with { Defect = defect });

        var results = images.Select(i => _assessor.Assess(i.Frame)).ToList();
        output.WriteLine(string.Join(", ", results.Select(r => r.Reason ?? "gradable")));

        Assert.True(results.Count(r => !r.Gradable) >= 9, $"{results.Count(r => !r.Gradable)} of 10 {defect} images rejected");
        if (expectedReason is not null)
        {
            Assert.True(results.Count(r => r.Reason == expectedReason) >= 9, $"expected '{expectedReason}' for {defect}");
        }
    }

    [Fact]
    public void REQ_AI_04_black_frame_is_too_dark()
    {
        var black = new Dicom.Imaging.RgbFrame(300, 300, new byte[300 * 300 * 3]);

        var result = _assessor.Assess(black);

        Assert.False(result.Gradable);
        Assert.Equal(Gradability.TooDark, result.Reason);
    }
}
