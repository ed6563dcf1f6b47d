using System.Buffers.Binary;
using System.IO.Compression;

namespace RetinaScreen.Dicom;

/// <summary>Where a value that was not loaded lies in its file.</summary>
/// <param name="Offset">The value's first byte: in the file, or in the inflated data set when <see cref="DeflatedFrom"/> is set.</param>
public sealed record DicomFileRange(string Path, long Offset, long Length)
{
    /// <summary>
    /// The file offset where the deflated data set begins (PS3.5 A.5), when the value lies in one: it is read by
    /// inflating from there again up to the value's end, never by holding the inflated data set.
    /// </summary>
    public long? DeflatedFrom { get; init; }
}

/// <summary>
/// The bytes of a value, always little endian: either in memory, or a range of a file (or of a file's deflated data
/// set) read only when asked, so that a 20 MB pixel data element costs nothing until a frame is decoded.
/// </summary>
public sealed class DicomBuffer
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly int _swapUnit;

    public DicomBuffer(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
    }

    /// <param name="range">The range in the file.</param>
    /// <param name="swapUnit">Size of the numbers to byte-swap on load when the file is big endian; 1 when none.</param>
    public DicomBuffer(DicomFileRange range, int swapUnit = 1)
    {
        Range = range;
        _swapUnit = swapUnit;
    }

    public static DicomBuffer Empty { get; } = new(ReadOnlyMemory<byte>.Empty);

    public DicomFileRange? Range { get; }

    public bool IsDeferred => Range is not null;

    public long Length => Range?.Length ?? _memory.Length;

    /// <summary>The whole value; a deferred value is read from its file on every call, so keep the result.</summary>
    public ReadOnlyMemory<byte> Memory
    {
        get
        {
            if (Range is null)
            {
                return _memory;
            }

            if (Range.Length > Array.MaxLength)
            {
                throw new InvalidOperationException($"A value of {Range.Length} bytes cannot be loaded into memory; read it in ranges.");
            }

            var bytes = new byte[Range.Length];
            Read(0, bytes);
            return bytes;
        }
    }

    /// <summary>Copies bytes [offset, offset + destination.Length) of the value.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Range {offset}+{destination.Length} lies outside a value of {Length} bytes.");
        }

        if (Range is null)
        {
            _memory.Span.Slice((int)offset, destination.Length).CopyTo(destination);
            return;
        }

        if (Range.DeflatedFrom is { } deflatedFrom)
        {
            using var inflated = OpenInflatedAt(Range, deflatedFrom, offset);
            ReadInflated(inflated, destination);
            return;
        }

        using var handle = File.OpenHandle(Range.Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var done = 0;
        while (done < destination.Length)
        {
            var n = RandomAccess.Read(handle, destination[done..], Range.Offset + offset + done);
            if (n <= 0)
            {
                throw new DicomFormatException($"File '{Range.Path}' ended before the deferred value's {Range.Length} bytes", null, Range.Offset + offset + done);
            }

            done += n;
        }

        if (_swapUnit > 1)
        {
            ByteOrder.Swap(destination, _swapUnit);
        }
    }

    /// <summary>Writes the value to a stream without holding a large deferred value in memory at once.</summary>
    public void CopyTo(Stream output)
    {
        if (Range is null)
        {
            output.Write(_memory.Span);
            return;
        }

        var chunk = new byte[(int)Math.Min(Range.Length, 1 << 20)];
        if (Range.DeflatedFrom is { } deflatedFrom)
        {
            // One pass: chunk by chunk through Read would inflate from the data set's start for every chunk.
            using var inflated = OpenInflatedAt(Range, deflatedFrom, 0);
            for (long done = 0; done < Range.Length; done += chunk.Length)
            {
                var n = (int)Math.Min(chunk.Length, Range.Length - done);
                ReadInflated(inflated, chunk.AsSpan(0, n));
                output.Write(chunk, 0, n);
            }

            return;
        }

        for (long done = 0; done < Range.Length; done += chunk.Length)
        {
            var n = (int)Math.Min(chunk.Length, Range.Length - done);
            Read(done, chunk.AsSpan(0, n));
            output.Write(chunk, 0, n);
        }
    }

    /// <summary>The file's deflated data set, inflated and positioned at byte <paramref name="offset"/> of the value.</summary>
    private static DeflateStream OpenInflatedAt(DicomFileRange range, long deflatedFrom, long offset)
    {
        var file = new FileStream(range.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, FileOptions.SequentialScan);
        DeflateStream? inflated = null;
        try
        {
            file.Position = deflatedFrom;
            inflated = new DeflateStream(file, CompressionMode.Decompress, leaveOpen: false);
            var skip = range.Offset + offset;
            var scratch = new byte[(int)Math.Min(Math.Max(skip, 1), 64 * 1024)];
            while (skip > 0)
            {
                var n = inflated.Read(scratch, 0, (int)Math.Min(scratch.Length, skip));
                if (n <= 0)
                {
                    throw new DicomFormatException($"The deflated data set in '{range.Path}' ended before the deferred value", null, deflatedFrom);
                }

                skip -= n;
            }

            return inflated;
        }
        catch (InvalidDataException ex)
        {
            inflated?.Dispose();
            file.Dispose();
            throw new DicomFormatException($"The deflated data set in '{range.Path}' is not a valid deflate stream", null, deflatedFrom, ex);
        }
        catch
        {
            inflated?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private void ReadInflated(DeflateStream inflated, Span<byte> destination)
    {
        try
        {
            inflated.ReadExactly(destination);
        }
        catch (EndOfStreamException ex)
        {
            throw new DicomFormatException($"The deflated data set in '{Range!.Path}' ended inside a deferred value", null, Range.DeflatedFrom, ex);
        }
        catch (InvalidDataException ex)
        {
            throw new DicomFormatException($"The deflated data set in '{Range!.Path}' is not a valid deflate stream", null, Range.DeflatedFrom, ex);
        }

        if (_swapUnit > 1)
        {
            ByteOrder.Swap(destination, _swapUnit);
        }
    }
}

internal static class ByteOrder
{
    public static void Swap(Span<byte> data, int unit)
    {
        switch (unit)
        {
            case 2:
                for (var i = 0; i + 1 < data.Length; i += 2)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(data[i..], BinaryPrimitives.ReadUInt16BigEndian(data[i..]));
                }

                break;
            case 4:
                for (var i = 0; i + 3 < data.Length; i += 4)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(data[i..], BinaryPrimitives.ReadUInt32BigEndian(data[i..]));
                }

                break;
            case 8:
                for (var i = 0; i + 7 < data.Length; i += 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(data[i..], BinaryPrimitives.ReadUInt64BigEndian(data[i..]));
                }

                break;
        }
    }
}
