using System.Buffers.Binary;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits segment per byte plane,
/// most significant byte of each sample first. Decodes to native little-endian, planar (configuration 1) layout.
/// </summary>
internal static class RleDecoder
{
    private const int HeaderLength = 64;

    public static byte[] Decode(ReadOnlySpan<byte> frame, PixelDataInfo info)
    {
        var bytesPerSample = info.BitsAllocated / 8;
        if (bytesPerSample is < 1 or > 4 || info.BitsAllocated % 8 != 0)
        {
            throw new DicomImagingException($"RLE Lossless with {info.BitsAllocated} bits allocated is not supported.");
        }

        var expectedSegments = info.SamplesPerPixel * bytesPerSample;
        if (frame.Length < HeaderLength)
        {
            throw new DicomImagingException("RLE frame is shorter than its 64-byte header.");
        }

        var segments = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (segments != expectedSegments)
        {
            throw new DicomImagingException($"RLE frame has {segments} segments; {info.SamplesPerPixel} samples of {info.BitsAllocated} bits need {expectedSegments}.");
        }

        var pixelCount = info.Rows * info.Columns;
        var output = new byte[(long)pixelCount * expectedSegments];
        var plane = new byte[pixelCount];
        for (var segment = 0; segment < expectedSegments; segment++)
        {
            var start = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame[(4 + segment * 4)..]);
            var end = segment + 1 < expectedSegments ? (int)BinaryPrimitives.ReadUInt32LittleEndian(frame[(8 + segment * 4)..]) : frame.Length;
            if (start < HeaderLength || end > frame.Length || start > end)
            {
                throw new DicomImagingException($"RLE segment {segment} lies outside the frame ({start}..{end} of {frame.Length}).");
            }

            UnpackBits(frame[start..end], plane);
            var sample = segment / bytesPerSample;
            var littleEndianByte = bytesPerSample - 1 - (segment % bytesPerSample);
            var baseIndex = (long)sample * pixelCount * bytesPerSample + littleEndianByte;
            for (var i = 0; i < pixelCount; i++)
            {
                output[baseIndex + (long)i * bytesPerSample] = plane[i];
            }
        }

        return output;
    }

    private static void UnpackBits(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int s = 0, d = 0;
        while (s < source.Length && d < destination.Length)
        {
            var n = (sbyte)source[s++];
            if (n >= 0)
            {
                var count = Math.Min(n + 1, Math.Min(destination.Length - d, source.Length - s));
                source.Slice(s, count).CopyTo(destination[d..]);
                s += n + 1;
                d += count;
            }
            else if (n != -128)
            {
                if (s >= source.Length)
                {
                    break;
                }

                var count = Math.Min(1 - n, destination.Length - d);
                destination.Slice(d, count).Fill(source[s++]);
                d += count;
            }
        }

        if (d < destination.Length)
        {
            throw new DicomImagingException($"RLE segment decoded to {d} bytes; {destination.Length} expected.");
        }
    }
}
