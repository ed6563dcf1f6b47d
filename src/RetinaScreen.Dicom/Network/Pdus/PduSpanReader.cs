using System.Buffers.Binary;
using System.Text;

namespace RetinaScreen.Dicom.Network.Pdus;

/// <summary>Bounds-checked big-endian reader over a received PDU body; any overrun is an invalid PDU, never an exception of the runtime.</summary>
internal ref struct PduSpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public PduSpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public byte ReadByte() => Take(1)[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public void Skip(int count) => Take(count);

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "PDU item length exceeds the PDU.");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>Reads an AE title field; leading and trailing spaces are not significant (PS3.8 9.3.2).</summary>
    public string ReadAeTitle() => DecodeText(Take(16));

    public static string DecodeText(ReadOnlySpan<byte> bytes)
    {
        // UIDs may be padded with NUL by lenient peers, AE titles with spaces.
        return Encoding.ASCII.GetString(bytes).Trim(' ', '\0');
    }
}
