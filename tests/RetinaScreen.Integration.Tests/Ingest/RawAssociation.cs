using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// PDUs written byte by byte from PS3.8 9.3, independent of the code under test, for peers that misbehave on
/// purpose (hold associations open, vanish mid-dataset).
/// </summary>
internal static class RawAssociation
{
    public const string ImplicitVrLittleEndian = "1.2.840.10008.1.2";
    public const string OphthalmicPhotography8Bit = "1.2.840.10008.5.1.4.1.1.77.1.5.1";

    /// <summary>A-ASSOCIATE-RQ with one presentation context (id 1) for <paramref name="abstractSyntax"/> in implicit VR little endian.</summary>
    public static byte[] AssociateRequest(string calledAe, string callingAe, string abstractSyntax)
    {
        var body = new List<byte>();
        body.AddRange([0x00, 0x01, 0x00, 0x00]);
        body.AddRange(Encoding.ASCII.GetBytes(calledAe.PadRight(16)));
        body.AddRange(Encoding.ASCII.GetBytes(callingAe.PadRight(16)));
        body.AddRange(new byte[32]);
        body.AddRange(Item(0x10, Encoding.ASCII.GetBytes("1.2.840.10008.3.1.1.1")));
        var context = new List<byte> { 0x01, 0x00, 0x00, 0x00 };
        context.AddRange(Item(0x30, Encoding.ASCII.GetBytes(abstractSyntax)));
        context.AddRange(Item(0x40, Encoding.ASCII.GetBytes(ImplicitVrLittleEndian)));
        body.AddRange(Item(0x20, [.. context]));
        var user = new List<byte>();
        user.AddRange(Item(0x51, [0x00, 0x01, 0x00, 0x00]));
        user.AddRange(Item(0x52, Encoding.ASCII.GetBytes("1.2.826.0.1.3680043.9.7433.1")));
        body.AddRange(Item(0x50, [.. user]));
        return Pdu(0x01, [.. body]);
    }

    /// <summary>P-DATA-TF with one PDV; control bit 0 = command, bit 1 = last fragment.</summary>
    public static byte[] PData(byte contextId, bool command, bool last, ReadOnlySpan<byte> fragment)
    {
        var pdv = new byte[6 + fragment.Length];
        BinaryPrimitives.WriteUInt32BigEndian(pdv, (uint)(fragment.Length + 2));
        pdv[4] = contextId;
        pdv[5] = (byte)((command ? 1 : 0) | (last ? 2 : 0));
        fragment.CopyTo(pdv.AsSpan(6));
        return Pdu(0x04, pdv);
    }

    /// <summary>C-STORE-RQ command set in implicit VR little endian (PS3.7 9.3.1.1).</summary>
    public static byte[] CStoreCommand(string sopClassUid, string sopInstanceUid)
    {
        var elements = new List<byte>();
        elements.AddRange(Element(0x0002, Uid(sopClassUid)));
        elements.AddRange(Element(0x0100, [0x01, 0x00]));
        elements.AddRange(Element(0x0110, [0x07, 0x00]));
        elements.AddRange(Element(0x0700, [0x00, 0x00]));
        elements.AddRange(Element(0x0800, [0x00, 0x00]));
        elements.AddRange(Element(0x1000, Uid(sopInstanceUid)));
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)elements.Count);
        return [.. Element(0x0000, groupLength), .. elements];
    }

    /// <summary>Reads the type of the first PDU the peer answers with (0x02 accept, 0x03 reject, 0x07 abort), or 0 on close.</summary>
    public static async Task<byte> ReadPduTypeAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[6];
        var read = await stream.ReadAtLeastAsync(header, 6, throwOnEndOfStream: false, cts.Token);
        if (read < 6)
        {
            return 0;
        }

        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2))];
        await stream.ReadExactlyAsync(body, cts.Token);
        return header[0];
    }

    private static byte[] Uid(string uid)
    {
        var bytes = Encoding.ASCII.GetBytes(uid);
        return bytes.Length % 2 == 0 ? bytes : [.. bytes, 0];
    }

    private static byte[] Element(ushort element, byte[] value)
    {
        var bytes = new byte[8 + value.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 0x0000);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), element);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)value.Length);
        value.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] Item(byte type, byte[] value)
    {
        var bytes = new byte[4 + value.Length];
        bytes[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)value.Length);
        value.CopyTo(bytes, 4);
        return bytes;
    }

    private static byte[] Pdu(byte type, byte[] body)
    {
        var bytes = new byte[6 + body.Length];
        bytes[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), (uint)body.Length);
        body.CopyTo(bytes, 6);
        return bytes;
    }
}
