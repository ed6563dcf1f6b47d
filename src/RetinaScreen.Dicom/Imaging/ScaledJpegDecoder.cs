using SkiaSharp;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// Decodes a colour JPEG baseline frame at 1/2, 1/4 or 1/8 of its size with libjpeg-turbo's DCT scaling (through
/// SkiaSharp): the inverse transform of each 8×8 block is computed at 4×4, 2×2 or 1×1, so a reduced image costs a
/// fraction of a full decode and never exists at full size. A 4096-pixel fundus photograph graded at 256 pixels would
/// otherwise be decoded into 48 MiB of pixels (70 ms here) only to be averaged down (ADR 0005).
/// </summary>
internal static class ScaledJpegDecoder
{
    /// <summary>The largest reduction (1/2, 1/4 or 1/8) that keeps the frame's shorter side at least
    /// <paramref name="minimumSide"/>; 1 when none does.</summary>
    public static int Reduction(int columns, int rows, int minimumSide)
    {
        var reduction = 1;
        while (reduction < 8 && Math.Min(columns, rows) / (reduction * 2) >= minimumSide)
        {
            reduction *= 2;
        }

        return reduction;
    }

    /// <summary>Decodes <paramref name="jpeg"/>, whose frame header must say <paramref name="columns"/>×<paramref name="rows"/>,
    /// reduced by <paramref name="reduction"/> (2, 4 or 8; sizes round up, as libjpeg's do).</summary>
    /// <exception cref="DicomImagingException">The stream is not a JPEG of that size, or is corrupt or truncated.</exception>
    public static RgbFrame Decode(byte[] jpeg, int columns, int rows, int reduction)
    {
        // libjpeg-turbo reports an end-of-image marker in the middle of a scan only as a warning, which SkiaSharp does
        // not surface: the rest of the image comes back grey with SKCodecResult.Success. The stream is proved whole first.
        JpegIntegrity.Verify(jpeg, columns, rows, samplesPerPixel: 3);
        using var data = SKData.CreateCopy(jpeg);
        using var codec = SKCodec.Create(data)
            ?? throw new DicomImagingException("Cannot decode the JPEG frame: the stream is not a JPEG or is corrupt.");
        if (codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
        {
            throw new DicomImagingException($"The frame data is {codec.EncodedFormat}, not JPEG.");
        }

        // The header was read by the check above as well; this guards the codec's own reading of it.
        if (codec.Info.Width != columns || codec.Info.Height != rows)
        {
            throw FrameDecoder.JpegSizeDiffers(codec.Info.Width, codec.Info.Height, columns, rows);
        }

        var size = codec.GetScaledDimensions(1f / reduction);
        // No colour space on the destination: the pixels are the stream's, with no ICC conversion, as ImageSharp gives them.
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.IncompleteInput)
        {
            // libjpeg fills the missing rows with grey, which must not be graded as a photograph.
            throw DicomImagingException.Damaged($"the JPEG decoder ran out of data ({result}).");
        }

        if (result != SKCodecResult.Success)
        {
            throw new DicomImagingException($"Cannot decode the JPEG frame: {result}.");
        }

        var rgba = bitmap.GetPixelSpan();
        var pixels = new byte[size.Width * size.Height * 3];
        for (int i = 0, o = 0; o < pixels.Length; i += 4, o += 3)
        {
            pixels[o] = rgba[i];
            pixels[o + 1] = rgba[i + 1];
            pixels[o + 2] = rgba[i + 2];
        }

        return new RgbFrame(size.Width, size.Height, pixels);
    }
}
