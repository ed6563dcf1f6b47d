using System.Buffers.Binary;
using RetinaScreen.Dicom.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// Turns frame N of a data set into 8-bit interleaved RGB: native RGB, YBR_FULL, YBR_FULL_422 and monochrome pixel data,
/// JPEG Baseline/Extended (8-bit) through ImageSharp, and RLE Lossless.
/// </summary>
public static class FrameDecoder
{
    // Only the JPEG decoder: encapsulated bytes are never sniffed as some other format.
    private static readonly Configuration JpegOnly = new(new JpegConfigurationModule());

    public static int GetFrameCount(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Math.Max(1, dataset.GetInt32(DicomTag.NumberOfFrames, 1));
    }

    public static RgbFrame Decode(DicomFile file, int frame = 0)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Decode(file.Dataset, frame, file.TransferSyntaxUid);
    }

    /// <summary>
    /// Frame <paramref name="frame"/> reduced by 2, 4 or 8 where its pixel data allows it and the shorter side stays at
    /// least <paramref name="minimumSide"/>; otherwise at full size, exactly as <see cref="Decode(DicomFile, int)"/>.
    /// </summary>
    /// <remarks>
    /// Reduced decoding is done for 8-bit colour JPEG baseline in YBR_FULL_422 or YBR_FULL, what cameras send; the
    /// inverse DCT at reduced size averages each block's pixels much as an area resample would, at a fraction of the
    /// work and memory. Other encodings (native, RLE, grey, RGB without colour transform, 12-bit) decode at full size.
    /// </remarks>
    public static RgbFrame Decode(DicomFile file, int frame, int minimumSide)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumSide, 1);
        var dataset = file.Dataset;
        var info = PixelDataInfo.From(dataset);
        var reduction = ScaledJpegDecoder.Reduction(info.Columns, info.Rows, minimumSide);
        if (reduction == 1
            || file.TransferSyntaxUid != DicomUids.JpegBaseline
            || info.SamplesPerPixel != 3
            || info.BitsAllocated != 8
            || dataset.GetString(DicomTag.PhotometricInterpretation, string.Empty) is not ("YBR_FULL_422" or "YBR_FULL")
            || frame < 0 || frame >= info.NumberOfFrames
            || dataset.Find(DicomTag.PixelData) is not DicomFragmentSequence fragments)
        {
            return Decode(file, frame);
        }

        return ScaledJpegDecoder.Decode(GetEncapsulatedFrame(fragments, frame, info.NumberOfFrames), info.Columns, info.Rows, reduction);
    }

    /// <param name="dataset">The data set with the Image Pixel module and pixel data.</param>
    /// <param name="frame">Zero-based frame index.</param>
    /// <param name="transferSyntaxUid">How the pixel data is encoded; defaults to the syntax the data set was read in.</param>
    public static RgbFrame Decode(DicomDataset dataset, int frame = 0, string? transferSyntaxUid = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var info = PixelDataInfo.From(dataset);
        if (frame < 0 || frame >= info.NumberOfFrames)
        {
            throw new ArgumentOutOfRangeException(nameof(frame), $"Frame {frame} requested; the data set has {info.NumberOfFrames}.");
        }

        if (info.Rows <= 0 || info.Columns <= 0)
        {
            throw new DicomImagingException($"Invalid image size {info.Columns}x{info.Rows}.");
        }

        var element = dataset.Find(DicomTag.PixelData) ?? throw new DicomImagingException("The data set has no Pixel Data (7FE0,0010).");
        var syntax = transferSyntaxUid ?? dataset.TransferSyntaxUid ?? DicomUids.ExplicitVrLittleEndian;
        return element switch
        {
            DicomFragmentSequence fragments => DecodeEncapsulated(dataset, info, fragments, frame, syntax),
            DicomPrimitive native when IsNative(syntax) => NativeFrameDecoder.Decode(dataset, info, native.Buffer, frame),
            DicomPrimitive => throw new DicomImagingException($"Pixel data is native but transfer syntax {Describe(syntax)} is a compressed one."),
            _ => throw new DicomImagingException("Pixel Data is not a value."),
        };
    }

    /// <summary>The compressed bytes of one frame of encapsulated pixel data (PS3.5 A.4), fragments joined.</summary>
    public static byte[] GetEncapsulatedFrame(DicomFragmentSequence pixelData, int frame, int numberOfFrames)
    {
        ArgumentNullException.ThrowIfNull(pixelData);
        var fragments = pixelData.Fragments;
        if (fragments.Count == 0)
        {
            throw new DicomImagingException("Encapsulated pixel data has no fragments.");
        }

        if (numberOfFrames <= 1)
        {
            return Join(fragments, 0, fragments.Count);
        }

        var offsets = pixelData.ReadOffsets();
        if (offsets.Length == numberOfFrames)
        {
            // Offsets count bytes from the first fragment's item tag; each fragment adds an 8-byte item header.
            long position = 0;
            int first = -1, last = fragments.Count;
            var start = offsets[frame];
            var end = frame + 1 < offsets.Length ? offsets[frame + 1] : long.MaxValue;
            for (var i = 0; i < fragments.Count; i++)
            {
                if (position == start)
                {
                    first = i;
                }

                if (position >= end && first >= 0)
                {
                    last = i;
                    break;
                }

                position += 8 + fragments[i].Length;
            }

            if (first < 0)
            {
                throw new DicomImagingException($"The basic offset table points frame {frame} at byte {start}, which is not the start of a fragment.");
            }

            return Join(fragments, first, last);
        }

        if (fragments.Count == numberOfFrames)
        {
            return fragments[frame].Memory.ToArray();
        }

        // No usable offset table: a JPEG frame starts with a fragment that starts with SOI (FFD8).
        var starts = new List<int>();
        Span<byte> head = stackalloc byte[2];
        for (var i = 0; i < fragments.Count; i++)
        {
            if (fragments[i].Length >= 2)
            {
                fragments[i].Read(0, head);
                if (head[0] == 0xFF && head[1] == 0xD8)
                {
                    starts.Add(i);
                }
            }
        }

        if (starts.Count != numberOfFrames)
        {
            throw new DicomImagingException($"Cannot tell the frames apart: {fragments.Count} fragments, {numberOfFrames} frames, no basic offset table.");
        }

        return Join(fragments, starts[frame], frame + 1 < starts.Count ? starts[frame + 1] : fragments.Count);
    }

    private static byte[] Join(IReadOnlyList<DicomBuffer> fragments, int first, int last)
    {
        long total = 0;
        for (var i = first; i < last; i++)
        {
            total += fragments[i].Length;
        }

        if (total > Array.MaxLength)
        {
            throw new DicomImagingException($"A compressed frame of {total} bytes is too large.");
        }

        var result = new byte[total];
        var at = 0;
        for (var i = first; i < last; i++)
        {
            fragments[i].Read(0, result.AsSpan(at, (int)fragments[i].Length));
            at += (int)fragments[i].Length;
        }

        return result;
    }

    /// <summary>The refusal of a JPEG stream whose frame header does not match the data set's Columns and Rows, given
    /// before any pixel memory is taken, whichever decoder reads it. Short, as every damage message is: a C-STORE error
    /// comment keeps only 64 characters.</summary>
    internal static DicomImagingException JpegSizeDiffers(int jpegWidth, int jpegHeight, int columns, int rows) =>
        DicomImagingException.Damaged($"JPEG is {jpegWidth}x{jpegHeight}, data set says {columns}x{rows}.");

    private static bool IsNative(string syntax) =>
        syntax is DicomUids.ImplicitVrLittleEndian or DicomUids.ExplicitVrLittleEndian or DicomUids.ExplicitVrBigEndian or DicomUids.DeflatedExplicitVrLittleEndian;

    private static string Describe(string syntax) => DicomUids.NameOf(syntax) is { } name ? $"{syntax} ({name})" : syntax;

    private static RgbFrame DecodeEncapsulated(DicomDataset dataset, PixelDataInfo info, DicomFragmentSequence pixelData, int frame, string syntax)
    {
        if (syntax == DicomUids.RleLossless)
        {
            var rle = RleDecoder.Decode(GetEncapsulatedFrame(pixelData, frame, info.NumberOfFrames), info);
            var planar = info with { PlanarConfiguration = 1, NumberOfFrames = 1 };
            return NativeFrameDecoder.Decode(dataset, planar, new DicomBuffer(rle), 0);
        }

        if (syntax is not (DicomUids.JpegBaseline or DicomUids.JpegExtended))
        {
            throw new DicomImagingException($"Transfer syntax {Describe(syntax)} cannot be decoded by this toolkit.");
        }

        var bytes = GetEncapsulatedFrame(pixelData, frame, info.NumberOfFrames);
        return DecodeJpeg(dataset, bytes, info, syntax, dataset.GetString(DicomTag.PhotometricInterpretation, string.Empty));
    }

    /// <summary>
    /// Grey JPEG (8 or 12 bit) goes through the same rescale and window as native monochrome, so a 12-bit image is
    /// displayed as its window says rather than squeezed linearly into 8 bits.
    /// </summary>
    private static RgbFrame DecodeMonochromeJpeg(DicomDataset dataset, byte[] bytes, PixelDataInfo info)
    {
        var precision = JpegMarkers.SamplePrecision(bytes) ?? 8;
        using var image = Image.Load<L16>(JpegOnly, bytes);
        var count = info.Rows * info.Columns;
        var luminance = new L16[count];
        image.CopyPixelDataTo(luminance);
        var maximum = (1 << precision) - 1;
        var stored = new byte[count * 2];
        for (var i = 0; i < count; i++)
        {
            var value = (int)Math.Round(luminance[i].PackedValue * (double)maximum / ushort.MaxValue);
            BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(i * 2), (ushort)value);
        }

        var native = info with { BitsAllocated = 16, BitsStored = precision, HighBit = precision - 1, PixelRepresentation = 0, NumberOfFrames = 1 };
        return NativeFrameDecoder.Decode(dataset, native, new DicomBuffer(stored), 0);
    }

    private static RgbFrame DecodeJpeg(DicomDataset dataset, byte[] bytes, PixelDataInfo info, string syntax, string photometric)
    {
        try
        {
            // Before any pixel memory is taken: the stream must be a whole JPEG of the data set's size (a stream claiming
            // a huge image is refused here), since ImageSharp fills whatever a cut stream lacks with grey.
            JpegIntegrity.Verify(bytes, info.Columns, info.Rows, info.SamplesPerPixel);

            if (info.SamplesPerPixel == 1)
            {
                return DecodeMonochromeJpeg(dataset, bytes, info);
            }

            using var image = Image.Load<Rgb24>(JpegOnly, bytes);
            var pixels = new byte[info.Columns * info.Rows * 3];
            image.CopyPixelDataTo(pixels);
            if (photometric == "RGB" && image.Metadata.GetJpegMetadata().ColorType is not JpegColorType.Rgb && JpegMarkers.LacksColorTransformSignal(bytes))
            {
                // DICOM RGB in JPEG means the components were not colour-transformed, but a JPEG without
                // JFIF or Adobe markers is decoded as YCbCr; undo that conversion to get the stored RGB back.
                // (Where ImageSharp itself decided the stream is RGB, e.g. from its component identifiers, nothing is undone.)
                YcbcrConversion.RgbToYcbcrInPlace(pixels);
            }

            return new RgbFrame(info.Columns, info.Rows, pixels);
        }
        catch (DicomImagingException)
        {
            throw;
        }
        catch (Exception ex) when (ex is ImageFormatException or UnknownImageFormatException or NotSupportedException or InvalidImageContentException)
        {
            throw new DicomImagingException($"Cannot decode {Describe(syntax)} frame: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is NullReferenceException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // ImageSharp 2.1's JPEG decoder dereferences missing tables, and indexes rows past its colour buffer, on some
            // corrupt streams (fuzz findings in tests/RetinaScreen.Dicom.Tests/FuzzRegressions); for the caller that is
            // a corrupt frame like any other.
            throw new DicomImagingException($"Cannot decode {Describe(syntax)} frame: the JPEG stream is corrupt", ex);
        }
    }
}

internal static class JpegMarkers
{
    /// <summary>The sample precision P of the first frame header (SOFn), or null when there is none.</summary>
    public static int? SamplePrecision(ReadOnlySpan<byte> jpeg)
    {
        var i = 2;
        while (i + 4 < jpeg.Length)
        {
            if (jpeg[i] != 0xFF)
            {
                return null;
            }

            var marker = jpeg[i + 1];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return jpeg[i + 4];
            }

            i += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
        }

        return null;
    }

    /// <summary>True when the stream has neither a JFIF (APP0) nor an Adobe (APP14) marker before its frame header.</summary>
    public static bool LacksColorTransformSignal(ReadOnlySpan<byte> jpeg)
    {
        var i = 2;
        while (i + 4 <= jpeg.Length)
        {
            if (jpeg[i] != 0xFF)
            {
                return true;
            }

            var marker = jpeg[i + 1];
            if (marker is 0xE0 or 0xEE)
            {
                return false;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                // Component identifiers 'R','G','B' also tell a decoder not to transform.
                return true;
            }

            i += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
        }

        return true;
    }
}
