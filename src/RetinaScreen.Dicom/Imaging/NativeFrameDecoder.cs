using System.Buffers.Binary;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>Uncompressed pixel data (PS3.5 8.1, 8.2) to RGB.</summary>
internal static class NativeFrameDecoder
{
    public static RgbFrame Decode(DicomDataset dataset, PixelDataInfo info, DicomBuffer pixelData, int frame)
    {
        var photometric = info.PhotometricInterpretation;
        var pixelCount = info.Rows * info.Columns;
        var frameLength = FrameLength(info);
        var offset = frameLength * frame;
        if (offset + frameLength > pixelData.Length)
        {
            throw DicomImagingException.Damaged($"pixel data holds {pixelData.Length} bytes; frame {frame} of {info.Columns}x{info.Rows} needs bytes {offset} to {offset + frameLength}.");
        }

        if (frameLength > Array.MaxLength)
        {
            throw new DicomImagingException($"A frame of {frameLength} bytes is too large to decode.");
        }

        var raw = new byte[frameLength];
        pixelData.Read(offset, raw);
        var rgb = new byte[pixelCount * 3];
        switch (photometric)
        {
            case "RGB" when info.SamplesPerPixel == 3 && info.BitsAllocated == 8:
                Interleave(raw, rgb, pixelCount, info.PlanarConfiguration);
                break;
            case "YBR_FULL" when info.SamplesPerPixel == 3 && info.BitsAllocated == 8:
                Interleave(raw, rgb, pixelCount, info.PlanarConfiguration);
                for (var i = 0; i < rgb.Length; i += 3)
                {
                    YcbcrConversion.ToRgb(rgb[i], rgb[i + 1], rgb[i + 2], rgb.AsSpan(i, 3));
                }

                break;
            case "YBR_FULL_422" when info.SamplesPerPixel == 3 && info.BitsAllocated == 8:
                DecodeYbr422(raw, rgb, info.Columns, info.Rows);
                break;
            case "MONOCHROME1" or "MONOCHROME2" when info.SamplesPerPixel == 1 && info.BitsAllocated is 8 or 16:
                DecodeMonochrome(dataset, info, raw, rgb);
                break;
            default:
                throw new DicomImagingException(
                    $"Native pixel data with Photometric Interpretation '{photometric}', {info.SamplesPerPixel} samples of {info.BitsAllocated} bits is not supported.");
        }

        return new RgbFrame(info.Columns, info.Rows, rgb);
    }

    /// <summary>Bytes of one native frame: YBR_FULL_422 shares each pair's chroma, two samples a pixel (PS3.3 C.7.6.3.1.2).</summary>
    public static long FrameLength(PixelDataInfo info) =>
        info.PhotometricInterpretation == "YBR_FULL_422" && info.SamplesPerPixel == 3
            ? (long)info.Rows * info.Columns * 2 * (info.BitsAllocated / 8)
            : info.FrameLength;

    private static void Interleave(byte[] raw, byte[] rgb, int pixelCount, int planarConfiguration)
    {
        if (planarConfiguration == 0)
        {
            raw.AsSpan(0, pixelCount * 3).CopyTo(rgb);
            return;
        }

        for (var i = 0; i < pixelCount; i++)
        {
            rgb[i * 3] = raw[i];
            rgb[i * 3 + 1] = raw[pixelCount + i];
            rgb[i * 3 + 2] = raw[2 * pixelCount + i];
        }
    }

    private static void DecodeYbr422(byte[] raw, byte[] rgb, int columns, int rows)
    {
        // Two horizontally adjacent pixels share chroma: Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2).
        var src = 0;
        for (var y = 0; y < rows; y++)
        {
            var dst = y * columns * 3;
            for (var x = 0; x < columns; x += 2)
            {
                byte y1 = raw[src], y2 = raw[src + 1], cb = raw[src + 2], cr = raw[src + 3];
                src += 4;
                YcbcrConversion.ToRgb(y1, cb, cr, rgb.AsSpan(dst, 3));
                dst += 3;
                if (x + 1 < columns)
                {
                    YcbcrConversion.ToRgb(y2, cb, cr, rgb.AsSpan(dst, 3));
                    dst += 3;
                }
            }
        }
    }

    private static void DecodeMonochrome(DicomDataset dataset, PixelDataInfo info, byte[] raw, byte[] rgb)
    {
        var count = info.Rows * info.Columns;
        var values = new double[count];
        var bitsStored = Math.Clamp(info.BitsStored, 1, info.BitsAllocated);
        var shift = Math.Max(0, info.HighBit + 1 - bitsStored);
        var mask = (1 << bitsStored) - 1;
        var signed = info.PixelRepresentation == 1;
        var slope = dataset.GetDouble(DicomTag.RescaleSlope) ?? 1.0;
        var intercept = dataset.GetDouble(DicomTag.RescaleIntercept) ?? 0.0;
        double min = double.MaxValue, max = double.MinValue;
        for (var i = 0; i < count; i++)
        {
            int stored = info.BitsAllocated == 8 ? raw[i] : BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2));
            stored = (stored >> shift) & mask;
            if (signed && (stored & (1 << (bitsStored - 1))) != 0)
            {
                stored -= 1 << bitsStored;
            }

            var v = stored * slope + intercept;
            values[i] = v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        double low, high;
        if (dataset.TryGetDouble(DicomTag.WindowCenter, 0, out var center) && dataset.TryGetDouble(DicomTag.WindowWidth, 0, out var width) && width >= 1)
        {
            // Linear VOI LUT function (PS3.3 C.11.2.1.2.1).
            low = center - 0.5 - (width - 1) / 2;
            high = center - 0.5 + (width - 1) / 2;
        }
        else
        {
            low = min;
            high = max;
        }

        var range = high - low;
        var invert = info.PhotometricInterpretation == "MONOCHROME1";
        for (var i = 0; i < count; i++)
        {
            var v = values[i];
            var gray = range <= 0 ? (v > low ? 255.0 : 0.0) : (v - low) / range * 255.0;
            var g = YcbcrConversion.Clamp(gray);
            if (invert)
            {
                g = (byte)(255 - g);
            }

            rgb[i * 3] = g;
            rgb[i * 3 + 1] = g;
            rgb[i * 3 + 2] = g;
        }
    }
}
