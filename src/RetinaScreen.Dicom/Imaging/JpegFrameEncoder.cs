using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>Encodes RGB frames as JPEG baseline (ISO 10918-1 process 1), the usual encoding of Ophthalmic Photography.</summary>
public static class JpegFrameEncoder
{
    /// <summary>JPEG baseline bytes, YCbCr 4:2:0, JFIF; put it in DICOM as Photometric Interpretation YBR_FULL_422.</summary>
    public static byte[] Encode(RgbFrame frame, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Pixels.Length != frame.Width * frame.Height * 3)
        {
            throw new ArgumentException($"A {frame.Width}x{frame.Height} RGB frame needs {frame.Width * frame.Height * 3} bytes, not {frame.Pixels.Length}.", nameof(frame));
        }

        using var image = Image.LoadPixelData<Rgb24>(frame.Pixels, frame.Width, frame.Height);
        using var output = new MemoryStream();
        image.SaveAsJpeg(output, new JpegEncoder { Quality = Math.Clamp(quality, 1, 100), ColorType = JpegColorType.YCbCrRatio420 });
        return output.ToArray();
    }
}
