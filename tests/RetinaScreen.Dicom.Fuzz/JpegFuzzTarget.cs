using System.Buffers.Binary;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Fuzz;

/// <summary>
/// Both JPEG decoders behind <see cref="FrameDecoder"/>: the input is a JPEG stream, put as the one frame of a JPEG
/// baseline photograph whose Rows, Columns and samples are taken from the stream's own frame header (else the size
/// check refuses it before any decoder runs), then decoded at full size (ImageSharp) and reduced (libjpeg-turbo
/// through SkiaSharp). Expected failures are <see cref="DicomImagingException"/> and <see cref="DicomFormatException"/>.
/// </summary>
public static class JpegFuzzTarget
{
    /// <summary>Frames larger than this are skipped: a 16-bit size field can ask for 12 GB of pixels, a cost the
    /// size check lets through on purpose for real photographs, not a finding.</summary>
    private const long MaxPixels = 4L * 1024 * 1024;

    public static void Run(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        var jpeg = buffer.ToArray();
        if (FrameHeader(jpeg) is not { } header || header.Width == 0 || header.Height == 0 || (long)header.Width * header.Height > MaxPixels)
        {
            return;
        }

        var colour = header.Components >= 3;
        var twelveBit = header.Precision > 8;
        var pixelData = new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, DicomBuffer.Empty, [new DicomBuffer(jpeg)]);
        var dataset = new DicomDataset()
            .Set(DicomTag.SopClassUid, DicomUids.OphthalmicPhotography8Bit)
            .Set(DicomTag.SopInstanceUid, "1.2.3.4")
            .Set(DicomTag.SamplesPerPixel, colour ? 3 : 1)
            .Set(DicomTag.PhotometricInterpretation, colour ? "YBR_FULL_422" : "MONOCHROME2")
            .Set(DicomTag.Rows, header.Height)
            .Set(DicomTag.Columns, header.Width)
            .Set(DicomTag.BitsAllocated, twelveBit ? 16 : 8)
            .Set(DicomTag.BitsStored, twelveBit ? 12 : 8)
            .Set(DicomTag.HighBit, twelveBit ? 11 : 7)
            .Set(DicomTag.PixelRepresentation, 0)
            .Add(pixelData);
        if (colour)
        {
            dataset.Set(DicomTag.PlanarConfiguration, 0);
        }

        var file = new DicomFile(dataset, twelveBit ? DicomUids.JpegExtended : DicomUids.JpegBaseline);
        Decode(() => FrameDecoder.Decode(file, 0));
        Decode(() => FrameDecoder.Decode(file, 0, minimumSide: 1));
    }

    private static void Decode(Func<RgbFrame> decode)
    {
        try
        {
            decode();
        }
        catch (DicomImagingException)
        {
        }
        catch (DicomFormatException)
        {
        }
    }

    /// <summary>Width, height, components and precision of the first SOFn segment, walking the marker segments.</summary>
    private static (int Width, int Height, int Components, int Precision)? FrameHeader(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return null;
        }

        var i = 2;
        while (i + 4 <= jpeg.Length && jpeg[i] == 0xFF)
        {
            var marker = jpeg[i + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return i + 10 <= jpeg.Length
                    ? (BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 5)..]), jpeg[i + 9], jpeg[i + 4])
                    : null;
            }

            i += 2 + length;
        }

        return null;
    }
}
