namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// What can be seen to be wrong with a data set's pixel data without decoding it, cheaply enough for every arrival:
/// native pixel data shorter than Rows × Columns × Samples per Pixel × bytes per sample × frames, and JPEG frames
/// whose frame header disagrees with Rows, Columns or Samples per Pixel, that lack their end-of-image marker, or that
/// are too short to hold the image they claim. Only the first bytes of the first frame and the last bytes of the last
/// are read; the decoders check each frame whole (<see cref="FrameDecoder"/>) before anything is graded.
/// </summary>
public static class PixelDataIntegrity
{
    /// <summary>Enough for the markers before a frame header, an ICC profile or EXIF thumbnail included.</summary>
    private const int HeadBytes = 64 * 1024;

    /// <summary>The most read to find a frame header behind unusually long application segments.</summary>
    private const int LongestHeadBytes = 1024 * 1024;

    private const int TailBytes = 16;

    /// <returns>Null when nothing is visibly wrong (or there is no pixel data to check), else what is wrong: a
    /// <see cref="DicomImagingException.DamagedPrefix"/> message naming sizes and markers, never pixel values.</returns>
    public static string? FindDamage(DicomDataset dataset, string transferSyntaxUid)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var element = dataset.Find(DicomTag.PixelData);
        if (element is null || dataset.GetInt32(DicomTag.Rows) is not > 0 || dataset.GetInt32(DicomTag.Columns) is not > 0)
        {
            return null;
        }

        var info = PixelDataInfo.From(dataset);
        try
        {
            switch (element)
            {
                case DicomPrimitive native when IsNative(transferSyntaxUid):
                    VerifyNativeLength(native.Buffer.Length, info);
                    break;
                case DicomFragmentSequence fragments when transferSyntaxUid is DicomUids.JpegBaseline or DicomUids.JpegExtended:
                    VerifyJpeg(fragments, info);
                    break;
            }
        }
        catch (DicomImagingException ex) when (ex.ImageDataDamaged)
        {
            return ex.Message;
        }

        return null;
    }

    private static void VerifyNativeLength(long length, PixelDataInfo info)
    {
        var needed = NativeFrameDecoder.FrameLength(info) * info.NumberOfFrames;
        if (length < needed)
        {
            throw DicomImagingException.Damaged(
                $"pixel data holds {length} bytes, needs {needed} ({info.NumberOfFrames} frame(s) of {info.Columns}x{info.Rows}, {info.SamplesPerPixel} sample(s) of {info.BitsAllocated} bits).");
        }
    }

    private static void VerifyJpeg(DicomFragmentSequence pixelData, PixelDataInfo info)
    {
        var fragments = pixelData.Fragments;
        if (fragments.Count == 0)
        {
            throw DicomImagingException.Damaged("the encapsulated pixel data has no fragments.");
        }

        long total = 0;
        foreach (var fragment in fragments)
        {
            total += fragment.Length;
        }

        var head = ReadHead(fragments, HeadBytes);
        if (JpegIntegrity.ReadFrameHeader(head, out var beyond) is null && beyond && head.Length < total)
        {
            head = ReadHead(fragments, LongestHeadBytes);
        }

        var last = fragments[^1];
        var tail = new byte[(int)Math.Min(TailBytes, last.Length)];
        last.Read(last.Length - tail.Length, tail);

        // Each frame's share of the bytes: the size check holds for the average frame when it holds for every one.
        JpegIntegrity.VerifyStructure(head, tail, total / info.NumberOfFrames, info.Columns, info.Rows, info.SamplesPerPixel);
    }

    /// <summary>The first <paramref name="count"/> bytes of the fragments, in order (a frame may span several).</summary>
    private static byte[] ReadHead(IReadOnlyList<DicomBuffer> fragments, int count)
    {
        using var head = new MemoryStream();
        foreach (var fragment in fragments)
        {
            var take = (int)Math.Min(fragment.Length, count - head.Length);
            if (take <= 0)
            {
                break;
            }

            var bytes = new byte[take];
            fragment.Read(0, bytes);
            head.Write(bytes);
        }

        return head.ToArray();
    }

    private static bool IsNative(string syntax) =>
        syntax is DicomUids.ImplicitVrLittleEndian or DicomUids.ExplicitVrLittleEndian or DicomUids.ExplicitVrBigEndian or DicomUids.DeflatedExplicitVrLittleEndian;
}
