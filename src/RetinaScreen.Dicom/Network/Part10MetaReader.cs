using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// Reads just enough of a Part 10 file (preamble, "DICM", group 0002, PS3.10 7.1) with the toolkit's reader to send
/// the data set that follows without parsing it.
/// </summary>
internal static class Part10MetaReader
{
    /// <summary>Group 0002 is a few hundred bytes; a bound keeps a corrupt file from being read whole.</summary>
    private static readonly DicomReadOptions MetaOptions = new() { MaxElementCount = 1_000, MaxValueLength = 64 * 1024 };

    public static (FileMetaInformation Meta, long DataSetOffset) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return Parse(stream, path);
    }

    internal static (FileMetaInformation Meta, long DataSetOffset) Parse(ReadOnlySpan<byte> data, string name)
    {
        using var stream = new MemoryStream(data.ToArray(), writable: false);
        return Parse(stream, name);
    }

    private static (FileMetaInformation Meta, long DataSetOffset) Parse(Stream stream, string name)
    {
        (DicomDataset MetaInformation, long DataSetOffset)? read;
        try
        {
            read = DicomFile.ReadMetaInformation(stream, MetaOptions);
        }
        catch (Exception ex) when (ex is DicomFormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"{name}: the file meta information is malformed or truncated.", ex);
        }

        if (read is not { } found)
        {
            throw new InvalidDataException($"{name} is not a DICOM Part 10 file (no DICM prefix).");
        }

        var (meta, offset) = found;

        var sopClass = meta.GetUid(DicomTag.MediaStorageSopClassUid);
        var sopInstance = meta.GetUid(DicomTag.MediaStorageSopInstanceUid);
        var transferSyntax = meta.GetUid(DicomTag.TransferSyntaxUid);
        if (string.IsNullOrEmpty(sopClass) || string.IsNullOrEmpty(sopInstance) || string.IsNullOrEmpty(transferSyntax))
        {
            throw new InvalidDataException($"{name}: file meta information lacks the SOP class, SOP instance or transfer syntax UID.");
        }

        var sourceAe = meta.GetString(DicomTag.SourceApplicationEntityTitle);
        return (new FileMetaInformation(sopClass, sopInstance, transferSyntax, string.IsNullOrEmpty(sourceAe) ? null : sourceAe), offset);
    }
}
