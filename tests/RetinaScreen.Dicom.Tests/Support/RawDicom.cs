using System.Buffers.Binary;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Tests.Support;

/// <summary>Hand-assembled element bytes for inputs no honest writer produces.</summary>
internal sealed class RawDicom
{
    // A MemoryStream holds no unmanaged resources; this builder lives only for one test.
    private readonly List<byte> _bytes = [];
    private readonly Sink _stream;

    private RawDicom()
    {
        _stream = new Sink(_bytes);
    }

    /// <summary>Starts a Part 10 file whose data set is explicit VR little endian.</summary>
    public static RawDicom Part10(string transferSyntax = DicomUids.ExplicitVrLittleEndian)
    {
        var raw = new RawDicom();
        using var meta = new MemoryStream();
        FileMetaInformationWriter.Write(meta, new FileMetaInformation(DicomUids.SecondaryCapture, "1.2.3.4", transferSyntax));
        raw._bytes.AddRange(meta.ToArray());
        return raw;
    }

    public RawDicom Explicit(ushort group, ushort element, string vr, uint length, ReadOnlySpan<byte> value = default)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(header, group);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], element);
        header[4] = (byte)vr[0];
        header[5] = (byte)vr[1];
        if (vr is "OB" or "OW" or "SQ" or "UN" or "UT" or "OF" or "OD" or "OL" or "OV" or "UC" or "UR" or "SV" or "UV")
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], length);
            _stream.Write(header);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)length);
            _stream.Write(header[..8]);
        }

        _stream.Write(value);
        return this;
    }

    public RawDicom Implicit(ushort group, ushort element, uint length, ReadOnlySpan<byte> value = default)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(header, group);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], element);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], length);
        _stream.Write(header);
        _stream.Write(value);
        return this;
    }

    public RawDicom Item(uint length = 0xFFFFFFFF) => Implicit(0xFFFE, 0xE000, length);

    public RawDicom ItemEnd() => Implicit(0xFFFE, 0xE00D, 0);

    public RawDicom SequenceEnd() => Implicit(0xFFFE, 0xE0DD, 0);

    public byte[] ToArray() => [.. _bytes];

    private sealed class Sink(List<byte> bytes)
    {
        public void Write(ReadOnlySpan<byte> data) => bytes.AddRange(data);
    }
}

/// <summary>A stream that cannot seek or tell its length, like a network connection.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
