using System.Buffers.Binary;
using System.Text;

namespace RetinaScreen.Dicom.IO;

/// <summary>The identifying part of a Part 10 file's group 0002 (PS3.10 7.1).</summary>
public sealed record FileMetaInformation(
    string MediaStorageSopClassUid,
    string MediaStorageSopInstanceUid,
    string TransferSyntaxUid,
    string? SourceApplicationEntityTitle = null);

public static class FileMetaInformationWriter
{
    private const int PreambleLength = 128;

    /// <summary>
    /// Writes the 128-byte zero preamble, "DICM" and group 0002 in explicit VR little endian, as PS3.10 7.1 requires
    /// whatever the data set's transfer syntax.
    /// </summary>
    public static void Write(Stream output, FileMetaInformation meta)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(meta);

        var body = new MemoryStream(256);
        WriteElement(body, 0x0001, "OB", [0x00, 0x01]);
        WriteElement(body, 0x0002, "UI", Padded(meta.MediaStorageSopClassUid, 0));
        WriteElement(body, 0x0003, "UI", Padded(meta.MediaStorageSopInstanceUid, 0));
        WriteElement(body, 0x0010, "UI", Padded(meta.TransferSyntaxUid, 0));
        WriteElement(body, 0x0012, "UI", Padded(DicomImplementation.ClassUid, 0));
        WriteElement(body, 0x0013, "SH", Padded(DicomImplementation.VersionName, (byte)' '));
        if (!string.IsNullOrEmpty(meta.SourceApplicationEntityTitle))
        {
            WriteElement(body, 0x0016, "AE", Padded(meta.SourceApplicationEntityTitle, (byte)' '));
        }

        Span<byte> head = stackalloc byte[PreambleLength + 4 + 12];
        head.Clear();
        "DICM"u8.CopyTo(head[PreambleLength..]);
        var groupLength = head[(PreambleLength + 4)..];
        BinaryPrimitives.WriteUInt16LittleEndian(groupLength, 0x0002);
        BinaryPrimitives.WriteUInt16LittleEndian(groupLength[2..], 0x0000);
        groupLength[4] = (byte)'U';
        groupLength[5] = (byte)'L';
        BinaryPrimitives.WriteUInt16LittleEndian(groupLength[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength[8..], checked((uint)body.Length));
        output.Write(head);
        output.Write(body.GetBuffer(), 0, (int)body.Length);
    }

    private static byte[] Padded(string value, byte pad)
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

    private static void WriteElement(Stream output, ushort element, string vr, ReadOnlySpan<byte> value)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(header, 0x0002);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], element);
        header[4] = (byte)vr[0];
        header[5] = (byte)vr[1];
        int headerLength;
        if (vr == "OB")
        {
            header[6] = 0;
            header[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)value.Length);
            headerLength = 12;
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], checked((ushort)value.Length));
            headerLength = 8;
        }

        output.Write(header[..headerLength]);
        output.Write(value);
    }
}
