using System.Buffers.Binary;

namespace RetinaScreen.Dicom.IO;

/// <summary>
/// A forward reader over a stream with its own buffer, so the parser reads headers from a span rather than making
/// a virtual call per field, and knows how many bytes are left when the stream can tell.
/// </summary>
internal sealed class DicomStreamReader
{
    private const int BufferSize = 64 * 1024;

    private readonly Stream _stream;
    private readonly long _streamStart;
    private readonly long _streamLength;
    private byte[] _buffer = new byte[BufferSize];
    private int _pos;
    private int _len;
    private long _bufferStart;
    private bool _eof;

    public DicomStreamReader(Stream stream)
    {
        _stream = stream;
        if (stream.CanSeek)
        {
            _streamStart = stream.Position;
            _streamLength = stream.Length - _streamStart;
        }
        else
        {
            _streamLength = -1;
        }
    }

    /// <summary>Bytes consumed since the reader started.</summary>
    public long Position => _bufferStart + _pos;

    /// <summary>Bytes left in the stream, or -1 when the stream cannot say.</summary>
    public long Remaining => _streamLength < 0 ? -1 : _streamLength - Position;

    public bool CanSeek => _streamLength >= 0;

    /// <summary>Makes <paramref name="count"/> bytes available in the buffer; false at end of stream.</summary>
    public bool TryEnsure(int count)
    {
        if (_len - _pos >= count)
        {
            return true;
        }

        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
            _bufferStart += _pos;
            _len -= _pos;
            _pos = 0;
        }

        if (count > _buffer.Length)
        {
            Array.Resize(ref _buffer, count);
        }

        while (_len < count && !_eof)
        {
            var n = _stream.Read(_buffer, _len, _buffer.Length - _len);
            if (n <= 0)
            {
                _eof = true;
                break;
            }

            _len += n;
        }

        return _len - _pos >= count;
    }

    public bool AtEnd => !TryEnsure(1);

    public ReadOnlySpan<byte> Peek(int count) => _buffer.AsSpan(_pos, count);

    public ushort PeekUInt16LittleEndian() => BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_pos));

    /// <summary>Consumes bytes already made available with <see cref="TryEnsure"/>.</summary>
    public ReadOnlySpan<byte> Take(int count)
    {
        var span = _buffer.AsSpan(_pos, count);
        _pos += count;
        return span;
    }

    /// <summary>The bytes that were read from the stream but not consumed yet.</summary>
    public ReadOnlyMemory<byte> Unconsumed() => _buffer.AsMemory(_pos, _len - _pos);

    public Stream BaseStream => _stream;

    /// <summary>Reads exactly <paramref name="length"/> bytes into a new array; the caller has checked the stream holds them.</summary>
    public byte[] ReadBytes(int length)
    {
        // Every byte is overwritten below (or the read fails), so large values skip the allocator's zeroing.
        var result = GC.AllocateUninitializedArray<byte>(length);
        var fromBuffer = Math.Min(length, _len - _pos);
        _buffer.AsSpan(_pos, fromBuffer).CopyTo(result);
        _pos += fromBuffer;
        if (fromBuffer == length)
        {
            return result;
        }

        // Large values go straight from the stream into the result; the buffer window moves past them.
        _bufferStart += _len;
        _pos = 0;
        _len = 0;
        var done = fromBuffer;
        while (done < length)
        {
            var n = _stream.Read(result, done, length - done);
            if (n <= 0)
            {
                _eof = true;
                _bufferStart += done - fromBuffer;
                throw new EndOfStreamException();
            }

            done += n;
        }

        _bufferStart += length - fromBuffer;
        return result;
    }

    /// <summary>Reads bytes of unknown availability in growing chunks, so a lying length on a short stream fails at its end, not in the allocator.</summary>
    public byte[] ReadBytesGrowing(int length)
    {
        const int Chunk = 1 << 20;
        if (length <= Chunk)
        {
            return ReadExactly(length);
        }

        var parts = new List<byte[]>();
        var remaining = length;
        while (remaining > 0)
        {
            var n = Math.Min(remaining, Chunk);
            parts.Add(ReadExactly(n));
            remaining -= n;
        }

        var result = new byte[length];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, at);
            at += part.Length;
        }

        return result;
    }

    private byte[] ReadExactly(int length)
    {
        var result = new byte[length];
        var done = 0;
        while (done < length)
        {
            if (_pos == _len && !TryEnsure(1))
            {
                throw new EndOfStreamException();
            }

            var n = Math.Min(length - done, _len - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(result.AsSpan(done));
            _pos += n;
            done += n;
        }

        return result;
    }

    public void Skip(long count)
    {
        var inBuffer = _len - _pos;
        if (count <= inBuffer)
        {
            _pos += (int)count;
            return;
        }

        count -= inBuffer;
        _bufferStart += _len;
        _pos = 0;
        _len = 0;
        if (CanSeek)
        {
            if (count > Remaining)
            {
                throw new EndOfStreamException();
            }

            _stream.Seek(count, SeekOrigin.Current);
            _bufferStart += count;
            return;
        }

        while (count > 0)
        {
            if (!TryEnsure(1))
            {
                throw new EndOfStreamException();
            }

            var n = (int)Math.Min(count, _len - _pos);
            _pos += n;
            count -= n;
        }
    }
}
