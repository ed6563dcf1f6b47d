using System.Buffers.Binary;
using System.Text;

namespace RetinaScreen.Dicom.Network.Dimse;

/// <summary>Command Field values (PS3.7 E.1).</summary>
internal static class DimseCommandField
{
    public const ushort CStoreRequest = 0x0001;
    public const ushort CStoreResponse = 0x8001;
    public const ushort CEchoRequest = 0x0030;
    public const ushort CEchoResponse = 0x8030;
    public const ushort CCancelRequest = 0x0FFF;
    public const ushort ResponseBit = 0x8000;
}

/// <summary>
/// The command set elements of group 0000 that C-ECHO and C-STORE use (PS3.7 9.3, E.1). Always encoded in implicit VR
/// little endian whatever the presentation context's transfer syntax (PS3.7 6.3.1).
/// </summary>
internal sealed class DimseCommand
{
    /// <summary>Command Data Set Type value meaning "no data set" (PS3.7 E.1); any other value means one follows.</summary>
    public const ushort NoDataSet = 0x0101;

    private const ushort DataSetPresent = 0x0001;

    public string? AffectedSopClassUid { get; set; }

    public ushort CommandField { get; set; }

    public ushort? MessageId { get; set; }

    public ushort? MessageIdBeingRespondedTo { get; set; }

    public ushort? Priority { get; set; }

    public bool HasDataSet { get; set; }

    public ushort? Status { get; set; }

    public string? ErrorComment { get; set; }

    public string? AffectedSopInstanceUid { get; set; }

    public string? MoveOriginatorAeTitle { get; set; }

    public ushort? MoveOriginatorMessageId { get; set; }

    public bool IsResponse => (CommandField & DimseCommandField.ResponseBit) != 0;

    public byte[] Encode()
    {
        var body = new List<(ushort Element, byte[] Value)>(10);
        AddUid(body, 0x0002, AffectedSopClassUid);
        body.Add((0x0100, UShort(CommandField)));
        AddUShort(body, 0x0110, MessageId);
        AddUShort(body, 0x0120, MessageIdBeingRespondedTo);
        AddUShort(body, 0x0700, Priority);
        body.Add((0x0800, UShort(HasDataSet ? DataSetPresent : NoDataSet)));
        AddUShort(body, 0x0900, Status);
        if (!string.IsNullOrEmpty(ErrorComment))
        {
            // LO holds at most 64 characters (PS3.5 6.2).
            var comment = ErrorComment.Length > 64 ? ErrorComment[..64] : ErrorComment;
            body.Add((0x0902, Text(comment, (byte)' ')));
        }

        AddUid(body, 0x1000, AffectedSopInstanceUid);
        if (!string.IsNullOrEmpty(MoveOriginatorAeTitle))
        {
            body.Add((0x1030, Text(MoveOriginatorAeTitle, (byte)' ')));
        }

        AddUShort(body, 0x1031, MoveOriginatorMessageId);

        var groupLength = 0;
        foreach (var (_, value) in body)
        {
            groupLength += 8 + value.Length;
        }

        var encoded = new byte[12 + groupLength];
        var span = encoded.AsSpan();
        WriteHeader(span, 0x0000, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)groupLength);
        var position = 12;
        foreach (var (element, value) in body)
        {
            WriteHeader(span[position..], element, value.Length);
            value.CopyTo(span[(position + 8)..]);
            position += 8 + value.Length;
        }

        return encoded;
    }

    public static DimseCommand Decode(ReadOnlySpan<byte> data)
    {
        var command = new DimseCommand();
        var sawCommandField = false;
        var position = 0;
        while (position < data.Length)
        {
            if (data.Length - position < 8)
            {
                throw new FormatException("Truncated command element header.");
            }

            var group = BinaryPrimitives.ReadUInt16LittleEndian(data[position..]);
            var element = BinaryPrimitives.ReadUInt16LittleEndian(data[(position + 2)..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
            position += 8;
            if (group != 0x0000 || length > (uint)(data.Length - position))
            {
                throw new FormatException("Command set element outside group 0000 or longer than the command.");
            }

            var value = data.Slice(position, (int)length);
            position += (int)length;
            switch (element)
            {
                case 0x0002:
                    command.AffectedSopClassUid = DecodeText(value);
                    break;
                case 0x0100:
                    command.CommandField = ReadUShort(value);
                    sawCommandField = true;
                    break;
                case 0x0110:
                    command.MessageId = ReadUShort(value);
                    break;
                case 0x0120:
                    command.MessageIdBeingRespondedTo = ReadUShort(value);
                    break;
                case 0x0700:
                    command.Priority = ReadUShort(value);
                    break;
                case 0x0800:
                    command.HasDataSet = ReadUShort(value) != NoDataSet;
                    break;
                case 0x0900:
                    command.Status = ReadUShort(value);
                    break;
                case 0x0902:
                    command.ErrorComment = DecodeText(value);
                    break;
                case 0x1000:
                    command.AffectedSopInstanceUid = DecodeText(value);
                    break;
                case 0x1030:
                    command.MoveOriginatorAeTitle = DecodeText(value);
                    break;
                case 0x1031:
                    command.MoveOriginatorMessageId = ReadUShort(value);
                    break;
                default:
                    // Group length, requested SOP class/instance, offending element and others carry nothing we act on.
                    break;
            }
        }

        if (!sawCommandField)
        {
            throw new FormatException("Command set without Command Field (0000,0100).");
        }

        return command;
    }

    private static ushort ReadUShort(ReadOnlySpan<byte> value) =>
        value.Length == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(value) : throw new FormatException("US element must be 2 bytes.");

    private static string DecodeText(ReadOnlySpan<byte> value) => Encoding.ASCII.GetString(value).Trim(' ', '\0');

    private static void AddUid(List<(ushort, byte[])> body, ushort element, string? uid)
    {
        if (!string.IsNullOrEmpty(uid))
        {
            body.Add((element, Text(uid, 0)));
        }
    }

    private static void AddUShort(List<(ushort, byte[])> body, ushort element, ushort? value)
    {
        if (value is { } v)
        {
            body.Add((element, UShort(v)));
        }
    }

    private static byte[] UShort(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Values have even length (PS3.5 7.1.1): UIDs are padded with NUL, text with a space.</summary>
    private static byte[] Text(string value, byte pad)
    {
        var length = Encoding.ASCII.GetByteCount(value);
        var bytes = new byte[length + (length & 1)];
        Encoding.ASCII.GetBytes(value, bytes);
        if ((length & 1) == 1)
        {
            bytes[^1] = pad;
        }

        return bytes;
    }

    private static void WriteHeader(Span<byte> span, ushort element, int length)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(span, 0x0000);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], element);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)length);
    }
}
