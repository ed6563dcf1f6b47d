using System.Buffers.Binary;
using System.Globalization;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>Puts frames into a data set with the matching Image Pixel module attributes.</summary>
public static class PixelDataWriter
{
    /// <summary>
    /// Encodes the frames as JPEG baseline and stores them encapsulated, one fragment per frame, with a basic offset table.
    /// Returns the transfer syntax the data set must then be saved in (JPEG Baseline).
    /// </summary>
    public static string SetJpegBaseline(DicomDataset dataset, IReadOnlyList<RgbFrame> frames, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(frames);
        var first = CheckFrames(frames);
        var fragments = new List<DicomBuffer>(frames.Count);
        var offsets = new byte[frames.Count * 4];
        long position = 0;
        long compressed = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            var jpeg = JpegFrameEncoder.Encode(frames[i], quality);
            if ((jpeg.Length & 1) == 1)
            {
                // Fragments have even length; a trailing zero after EOI is ignored by decoders.
                Array.Resize(ref jpeg, jpeg.Length + 1);
            }

            BinaryPrimitives.WriteUInt32LittleEndian(offsets.AsSpan(i * 4), checked((uint)position));
            position += 8 + jpeg.Length;
            compressed += jpeg.Length;
            fragments.Add(new DicomBuffer(jpeg));
        }

        SetImagePixelModule(dataset, first, frames.Count, "YBR_FULL_422");
        var ratio = (double)first.Pixels.Length * frames.Count / Math.Max(1, compressed);
        dataset.Set(DicomTag.LossyImageCompression, "01");
        dataset.Set(DicomTag.LossyImageCompressionRatio, DicomVR.DS, ratio.ToString("0.##", CultureInfo.InvariantCulture));
        dataset.Set(DicomTag.LossyImageCompressionMethod, "ISO_10918_1");
        dataset.Add(new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, new DicomBuffer(offsets), fragments));
        dataset.TransferSyntaxUid = DicomUids.JpegBaseline;
        return DicomUids.JpegBaseline;
    }

    /// <summary>Stores the frames uncompressed as interleaved RGB (planar configuration 0); any native transfer syntax fits.</summary>
    public static void SetNativeRgb(DicomDataset dataset, IReadOnlyList<RgbFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(frames);
        var first = CheckFrames(frames);
        var length = (long)first.Pixels.Length * frames.Count;
        var padded = new byte[length + (length & 1)];
        for (var i = 0; i < frames.Count; i++)
        {
            frames[i].Pixels.CopyTo(padded, (long)i * first.Pixels.Length);
        }

        SetImagePixelModule(dataset, first, frames.Count, "RGB");
        dataset.Add(new DicomPrimitive(DicomTag.PixelData, DicomVR.OB, padded));
    }

    private static RgbFrame CheckFrames(IReadOnlyList<RgbFrame> frames)
    {
        if (frames.Count == 0)
        {
            throw new ArgumentException("At least one frame is needed.", nameof(frames));
        }

        var first = frames[0];
        if (first.Width is <= 0 or > ushort.MaxValue || first.Height is <= 0 or > ushort.MaxValue)
        {
            throw new ArgumentException($"Frame size {first.Width}x{first.Height} does not fit Rows/Columns.", nameof(frames));
        }

        foreach (var frame in frames)
        {
            if (frame.Width != first.Width || frame.Height != first.Height || frame.Pixels.Length != frame.Width * frame.Height * 3)
            {
                throw new ArgumentException("All frames must be RGB of the same size.", nameof(frames));
            }
        }

        return first;
    }

    private static void SetImagePixelModule(DicomDataset dataset, RgbFrame frame, int frameCount, string photometric)
    {
        dataset.Set(DicomTag.SamplesPerPixel, 3);
        dataset.Set(DicomTag.PhotometricInterpretation, photometric);
        dataset.Set(DicomTag.PlanarConfiguration, 0);
        dataset.Set(DicomTag.Rows, frame.Height);
        dataset.Set(DicomTag.Columns, frame.Width);
        dataset.Set(DicomTag.BitsAllocated, 8);
        dataset.Set(DicomTag.BitsStored, 8);
        dataset.Set(DicomTag.HighBit, 7);
        dataset.Set(DicomTag.PixelRepresentation, 0);
        dataset.Set(DicomTag.NumberOfFrames, frameCount);
    }
}
