using System.Buffers.Binary;
using System.Text;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// Reads just enough of a Part 10 file (preamble, "DICM", group 0002 in explicit VR little endian, PS3.10 7.1) to send
/// the data set that follows without parsing it.
/// </summary>
internal static class Part10MetaReader
{
    /// <summary>Group 0002 is a few hundred bytes; a bound keeps a corrupt file from being read whole.</summary>
    private const int MaxMetaLength = 64 * 1024;

    public static (FileMetaInformation Meta, long DataSetOffset) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var length = (int)Math.Min(stream.Length, 132 + MaxMetaLength);
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return Parse(buffer, path);
    }

    internal static (FileMetaInformation Meta, long DataSetOffset) Parse(ReadOnlySpan<byte> data, string name)
    {
        if (data.Length < 132 || !data.Slice(128, 4).SequenceEqual("DICM"u8))
        {
            throw new InvalidDataException($"{name} is not a DICOM Part 10 file (no DICM prefix).");
        }

        string? sopClass = null;
        string? sopInstance = null;
        string? transferSyntax = null;
        string? sourceAe = null;
        var position = 132;
        while (position + 8 <= data.Length && BinaryPrimitives.ReadUInt16LittleEndian(data[position..]) == 0x0002)
        {
            var element = BinaryPrimitives.ReadUInt16LittleEndian(data[(position + 2)..]);
            var vr = data.Slice(position + 4, 2);
            int headerLength;
            uint valueLength;
            if (vr.SequenceEqual("OB"u8) || vr.SequenceEqual("OW"u8) || vr.SequenceEqual("UN"u8) || vr.SequenceEqual("SQ"u8) || vr.SequenceEqual("UT"u8) || vr.SequenceEqual("UC"u8) || vr.SequenceEqual("UR"u8))
            {
                if (position + 12 > data.Length)
                {
                    break;
                }

                valueLength = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 8)..]);
                headerLength = 12;
            }
            else
            {
                valueLength = BinaryPrimitives.ReadUInt16LittleEndian(data[(position + 6)..]);
                headerLength = 8;
            }

            if (valueLength > (uint)(data.Length - position - headerLength))
            {
                throw new InvalidDataException($"{name}: file meta information element (0002,{element:X4}) is truncated or too long.");
            }

            var value = data.Slice(position + headerLength, (int)valueLength);
            switch (element)
            {
                case 0x0002:
                    sopClass = Text(value);
                    break;
                case 0x0003:
                    sopInstance = Text(value);
                    break;
                case 0x0010:
                    transferSyntax = Text(value);
                    break;
                case 0x0016:
                    sourceAe = Text(value);
                    break;
                default:
                    break;
            }

            position += headerLength + (int)valueLength;
        }

        if (string.IsNullOrEmpty(sopClass) || string.IsNullOrEmpty(sopInstance) || string.IsNullOrEmpty(transferSyntax))
        {
            throw new InvalidDataException($"{name}: file meta information lacks the SOP class, SOP instance or transfer syntax UID.");
        }

        return (new FileMetaInformation(sopClass, sopInstance, transferSyntax, sourceAe), position);
    }

    private static string Text(ReadOnlySpan<byte> value) => Encoding.ASCII.GetString(value).Trim(' ', '\0');
}
