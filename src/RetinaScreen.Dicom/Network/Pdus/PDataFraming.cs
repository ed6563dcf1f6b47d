using System.Buffers.Binary;

namespace RetinaScreen.Dicom.Network.Pdus;

/// <summary>P-DATA-TF framing (PS3.8 9.3.5, Annex E): each PDV is item length, context id, message control header, data.</summary>
internal static class PDataFraming
{
    public const int PduHeaderLength = 6;
    public const int PdvHeaderLength = 6;

    /// <summary>PDU header plus one PDV header: the bytes in front of each fragment when one PDV is sent per PDU.</summary>
    public const int HeadersLength = PduHeaderLength + PdvHeaderLength;

    public const byte CommandFlag = 0x01;
    public const byte LastFragmentFlag = 0x02;

    /// <summary>The largest fragment that fits the peer's announced maximum, capped locally (0 announced means unlimited).</summary>
    public static int MaxFragmentLength(uint peerMaxPduLength, int localCap)
    {
        var limit = peerMaxPduLength == 0 ? localCap : (int)Math.Min(peerMaxPduLength, (uint)localCap);
        return Math.Max(1, limit - PdvHeaderLength);
    }

    /// <summary>Writes the P-DATA-TF header and one PDV header for <paramref name="dataLength"/> bytes that follow.</summary>
    public static void WriteHeaders(Span<byte> destination, byte presentationContextId, int dataLength, bool isCommand, bool isLast)
    {
        destination[0] = (byte)PduType.DataTransfer;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)(PdvHeaderLength + dataLength));
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], (uint)(2 + dataLength));
        destination[10] = presentationContextId;
        destination[11] = (byte)((isCommand ? CommandFlag : 0) | (isLast ? LastFragmentFlag : 0));
    }

    /// <summary>Sends a command set, fragmented to the peer's maximum; command sets are small, so one array holds all fragments.</summary>
    public static ValueTask SendCommandAsync(PduChannel channel, byte presentationContextId, byte[] command, int maxFragmentLength, CancellationToken cancellationToken)
    {
        var fragments = Math.Max(1, (command.Length + maxFragmentLength - 1) / maxFragmentLength);
        var pdus = new byte[command.Length + (fragments * HeadersLength)];
        var offset = 0;
        var position = 0;
        do
        {
            var length = Math.Min(maxFragmentLength, command.Length - offset);
            WriteHeaders(pdus.AsSpan(position), presentationContextId, length, isCommand: true, isLast: offset + length == command.Length);
            command.AsSpan(offset, length).CopyTo(pdus.AsSpan(position + HeadersLength));
            offset += length;
            position += HeadersLength + length;
        }
        while (offset < command.Length);

        return channel.WriteAsync(pdus, cancellationToken);
    }
}
