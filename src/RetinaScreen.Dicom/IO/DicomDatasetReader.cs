using System.IO.Compression;

namespace RetinaScreen.Dicom.IO;

/// <summary>Reads data sets without Part 10 framing (network messages, raw files), given their transfer syntax.</summary>
public static class DicomDatasetReader
{
    /// <summary>Reads a whole data set encoded in <paramref name="transferSyntaxUid"/> from the stream's current position to its end.</summary>
    public static DicomDataset Read(Stream stream, string transferSyntaxUid, DicomReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(transferSyntaxUid);
        return Read(new DicomStreamReader(stream), transferSyntaxUid, options ?? DicomReadOptions.Default, null);
    }

    internal static DicomDataset Read(DicomStreamReader reader, string transferSyntaxUid, DicomReadOptions options, string? path)
    {
        var dataset = new DicomDataset { TransferSyntaxUid = transferSyntaxUid };
        if (transferSyntaxUid == DicomUids.DeflatedExplicitVrLittleEndian)
        {
            // Deflate (RFC 1951, no zlib header) covers everything after the file meta information (PS3.5 A.5).
            using var deflate = new DeflateStream(new PrefixedStream(reader.Unconsumed(), reader.BaseStream), CompressionMode.Decompress, leaveOpen: true);
            using var inflated = new InflationLimitStream(deflate, options.MaxInflatedLength, reader.Position);
            var inner = new DicomParser(new DicomStreamReader(inflated), options, explicitVr: true, bigEndian: false, path, deflatedFrom: reader.Position);
            try
            {
                inner.ReadTopLevel(dataset);
            }
            catch (InvalidDataException ex)
            {
                throw new DicomFormatException("The deflated data set is not a valid deflate stream", null, reader.Position, ex);
            }

            return dataset;
        }

        var explicitVr = transferSyntaxUid != DicomUids.ImplicitVrLittleEndian;
        var bigEndian = transferSyntaxUid == DicomUids.ExplicitVrBigEndian;
        new DicomParser(reader, options, explicitVr, bigEndian, path).ReadTopLevel(dataset);
        return dataset;
    }
}

/// <summary>Bytes already buffered, then the rest of a stream: the deflate stream must start where the reader stopped.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!_prefix.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        return rest.Read(buffer);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Counts what a deflate stream produces and stops at a limit: a few kilobytes of deflate can claim gigabytes (a
/// deflate bomb), and every length check downstream trusts the bytes this stream hands out.
/// </summary>
internal sealed class InflationLimitStream(Stream inner, long limit, long compressedOffset) : Stream
{
    private long _produced;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        _produced += n;
        if (_produced > limit)
        {
            // Short enough to survive as a DIMSE Error Comment (64 characters) with the number whole.
            throw new DicomFormatException($"Deflated data set inflates past the limit of {limit} bytes", null, compressedOffset);
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
