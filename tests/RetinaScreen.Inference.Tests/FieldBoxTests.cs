using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference.Tests;

/// <summary>The field box names, in full-resolution photograph pixels, the square the model saw, however the
/// photograph was decoded.</summary>
public sealed class FieldBoxTests : IDisposable
{
    private const int Width = 4096;
    private const int Height = 2048;
    private const int FieldX = 1500;
    private const int FieldY = 600;

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-fieldbox-").FullName;

    [Fact]
    public void The_box_is_the_field_crop_in_photograph_pixels_at_full_and_at_reduced_decoding()
    {
        // A 1024-pixel field placed on a large black camera frame: the crop box must be the field's own box, moved.
        var fundus = FundusSynthesizer.Generate(TestImages.SeedBase + 9100, FundusSpec.Default with { Size = 1024 });
        var (left, top, side) = FundusPreprocessor.CropSquare(fundus.Frame);
        var expected = new FieldBox((int)Math.Round(left) + FieldX, (int)Math.Round(top) + FieldY, side, side);

        var path = Path.Combine(_work, "large.dcm");
        var photograph = TestImages.Place(fundus.Frame, Width, Height, FieldX, FieldY);
        OphthalmicPhotographWriter.Create(fundus with { Frame = photograph }, SyntheticVisit.Create(9100), 1).Save(path);
        var file = DicomFile.Open(path);

        var full = FrameDecoder.Decode(file, 0);
        Assert.Equal((Width, Height), (full.Width, full.Height));
        AssertClose(expected, FieldBox.Of(full, Width, Height), tolerance: 3);

        // What the grader decodes: a quarter of the size each way (the shorter side stays at least 512).
        var reduced = FundusPhotographGrader.Decode(path);
        Assert.Equal((Width / 4, Height / 4), (reduced.Width, reduced.Height));
        var box = FieldBox.Of(reduced, Width, Height);
        AssertClose(expected, box, tolerance: 4 * 3);
        Assert.Equal(0, box.Width % 4);
    }

    [Fact]
    public void A_photograph_decoded_at_full_size_keeps_the_crop_box_as_it_is()
    {
        var fundus = FundusSynthesizer.Generate(TestImages.SeedBase + 9101);
        var (left, top, side) = FundusPreprocessor.CropSquare(fundus.Frame);
        var box = FieldBox.Of(fundus.Frame, fundus.Frame.Width, fundus.Frame.Height);
        Assert.Equal(new FieldBox((int)Math.Round(left), (int)Math.Round(top), side, side), box);
    }

    private static void AssertClose(FieldBox expected, FieldBox actual, int tolerance)
    {
        Assert.True(Math.Abs(expected.X - actual.X) <= tolerance, $"x: expected {expected}, got {actual}");
        Assert.True(Math.Abs(expected.Y - actual.Y) <= tolerance, $"y: expected {expected}, got {actual}");
        Assert.True(Math.Abs(expected.Width - actual.Width) <= tolerance, $"width: expected {expected}, got {actual}");
        Assert.Equal(actual.Width, actual.Height);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
