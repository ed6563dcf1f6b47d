using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace RetinaScreen.Dicom.Network.Pdus;

/// <summary>
/// Growable big-endian writer for the small, structured PDUs (association negotiation, release, abort) and command
/// PDVs. Lengths are reserved first and patched once the item is complete, so items nest without copying.
/// </summary>
internal sealed class PduBuilder : IDisposable
{
    private byte[] _buffer;
    private int _position;

    public PduBuilder(int initialCapacity = 512)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int Length => _position;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    public void WriteByte(byte value) => GetSpan(1)[0] = value;

    public void WriteZeros(int count) => GetSpan(count)[..count].Clear();

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(GetSpan(2), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(GetSpan(4), value);

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(GetSpan(bytes.Length));

    public void WriteAscii(string value)
    {
        var count = Encoding.ASCII.GetByteCount(value);
        Encoding.ASCII.GetBytes(value, GetSpan(count));
    }

    /// <summary>Writes an AE title as 16 bytes, space padded (PS3.8 9.3.2).</summary>
    public void WriteAeTitle(string aeTitle)
    {
        var span = GetSpan(16)[..16];
        span.Fill((byte)' ');
        Encoding.ASCII.GetBytes(aeTitle.AsSpan(0, Math.Min(16, aeTitle.Length)), span);
    }

    /// <summary>Reserves a 2-byte length and returns its position for <see cref="PatchUInt16Length"/>.</summary>
    public int ReserveUInt16()
    {
        var at = _position;
        WriteUInt16(0);
        return at;
    }

    public int ReserveUInt32()
    {
        var at = _position;
        WriteUInt32(0);
        return at;
    }

    public void PatchUInt16Length(int at)
    {
        var length = _position - at - 2;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(at), checked((ushort)length));
    }

    public void PatchUInt32Length(int at)
    {
        var length = _position - at - 4;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(at), checked((uint)length));
    }

    public void Clear() => _position = 0;

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Span<byte> GetSpan(int count)
    {
        if (_position + count > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
            _buffer.AsSpan(0, _position).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
