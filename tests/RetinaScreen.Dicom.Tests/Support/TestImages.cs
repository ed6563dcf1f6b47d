using RetinaScreen.Dicom.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Dicom.Tests.Support;

internal static class TestImages
{
    public const string PydicomFolder = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

    /// <summary>A pydicom test file; fails the test when pydicom's data is not installed.</summary>
    public static string Pydicom(string name)
    {
        var path = Path.Combine(PydicomFolder, name);
        Assert.True(File.Exists(path), $"pydicom test file {path} is missing (apt-get install python3-pydicom).");
        return path;
    }

    /// <summary>A smooth fundus-like picture: a bright disc on a red-orange background with a gradient, so JPEG keeps it close.</summary>
    public static RgbFrame Fundus(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        double cx = width / 2.0, cy = height / 2.0, radius = Math.Min(width, height) * 0.45;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var d = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / radius;
                var inside = d < 1 ? 1 - d * 0.5 : 0.1;
                var i = (y * width + x) * 3;
                pixels[i] = (byte)(200 * inside + 20);
                pixels[i + 1] = (byte)(90 * inside + 30 * x / width);
                pixels[i + 2] = (byte)(40 * inside + 40 * y / height);
            }
        }

        return new RgbFrame(width, height, pixels);
    }

    public static void SaveJpeg(RgbFrame frame, string path, int quality = 95)
    {
        using var image = Image.LoadPixelData<Rgb24>(frame.Pixels, frame.Width, frame.Height);
        image.Save(path, new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 });
    }

    public static void SaveBmp(RgbFrame frame, string path)
    {
        using var image = Image.LoadPixelData<Rgb24>(frame.Pixels, frame.Width, frame.Height);
        image.Save(path, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 });
    }

    public static double MeanAbsoluteDifference(RgbFrame a, RgbFrame b)
    {
        Assert.Equal(a.Width, b.Width);
        Assert.Equal(a.Height, b.Height);
        long sum = 0;
        for (var i = 0; i < a.Pixels.Length; i++)
        {
            sum += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        }

        return (double)sum / a.Pixels.Length;
    }

    /// <summary>img2dcm arguments that make an Ophthalmic Photography 8 Bit object valid (type 1 and 2 attributes).</summary>
    public static string[] OphthalmicKeys() =>
    [
        "-k", "PatientName=Test^Fundus", "-k", "PatientID=RS-0001", "-k", "ImageLaterality=R",
        "-k", "PatientEyeMovementCommanded=NO", "-k", "BurnedInAnnotation=NO", "-k", "LossyImageCompression=01",
        "-k", "PresentationLUTShape=IDENTITY",
        "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeValue=R-1021A", "-k", "AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SRT",
        "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus Camera",
        "-k", "AnatomicRegionSequence[0].CodeValue=T-AA610", "-k", "AnatomicRegionSequence[0].CodingSchemeDesignator=SRT",
        "-k", "AnatomicRegionSequence[0].CodeMeaning=Retina",
        "-k", "IlluminationTypeCodeSequence", "-k", "LightPathFilterTypeStackCodeSequence", "-k", "ImagePathFilterTypeStackCodeSequence",
        "-k", "LensesCodeSequence", "-k", "ChannelDescriptionCodeSequence", "-k", "RelativeImagePositionCodeSequence",
        "-k", "AcquisitionDateTime=20260101120000", "-k", "AcquisitionContextSequence",
    ];
}
