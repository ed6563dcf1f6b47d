namespace RetinaScreen.Dicom.IO;

/// <summary>A DICOM Part 10 file: file meta information (group 0002) and the data set.</summary>
public sealed class DicomFile
{
    private static ReadOnlySpan<byte> Magic => "DICM"u8;

    public DicomFile(DicomDataset dataset, string transferSyntaxUid = DicomUids.ExplicitVrLittleEndian, DicomDataset? metaInformation = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transferSyntaxUid);
        Dataset = dataset;
        TransferSyntaxUid = transferSyntaxUid;
        MetaInformation = metaInformation ?? new DicomDataset();
    }

    /// <summary>Group 0002 as read; empty for a new file or one without meta information.</summary>
    public DicomDataset MetaInformation { get; }

    public DicomDataset Dataset { get; }

    /// <summary>The transfer syntax of <see cref="Dataset"/>; <see cref="Save(Stream)"/> writes in it.</summary>
    public string TransferSyntaxUid { get; set; }

    /// <summary>The file had a preamble and "DICM" (false for bare data sets some old writers produced).</summary>
    public bool HasPreamble { get; private init; }

    /// <summary>The meta information that <see cref="Save(Stream)"/> writes, taken from the data set's SOP class and instance.</summary>
    public FileMetaInformation Meta => new(
        Dataset.GetUid(DicomTag.SopClassUid) ?? MetaInformation.GetUid(DicomTag.MediaStorageSopClassUid) ?? string.Empty,
        Dataset.GetUid(DicomTag.SopInstanceUid) ?? MetaInformation.GetUid(DicomTag.MediaStorageSopInstanceUid) ?? string.Empty,
        TransferSyntaxUid,
        MetaInformation.GetString(DicomTag.SourceApplicationEntityTitle) is { Length: > 0 } ae ? ae : null);

    public static DicomFile Open(string path, DicomReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return Open(stream, options, Path.GetFullPath(path));
    }

    public static DicomFile Open(Stream stream, DicomReadOptions? options = null) => Open(stream, options, null);

    /// <summary>
    /// Reads the preamble, "DICM" and group 0002 only, leaving the data set unread: what a sender needs to stream the
    /// data set as it is. Null when the stream has no preamble and prefix (not a Part 10 file).
    /// </summary>
    /// <returns>Group 0002, and the offset of the data set from where the stream was positioned.</returns>
    public static (DicomDataset MetaInformation, long DataSetOffset)? ReadMetaInformation(Stream stream, DicomReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new DicomStreamReader(stream);
        if (!reader.TryEnsure(132) || !reader.Peek(132)[128..].SequenceEqual(Magic))
        {
            return null;
        }

        reader.Take(132);
        var meta = new DicomDataset();
        ReadMeta(reader, options ?? DicomReadOptions.Default, meta);
        return (meta, reader.Position);
    }

    private static DicomFile Open(Stream stream, DicomReadOptions? options, string? path)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= DicomReadOptions.Default;
        var reader = new DicomStreamReader(stream);
        var meta = new DicomDataset();
        var hasPreamble = false;
        if (reader.TryEnsure(132) && reader.Peek(132)[128..].SequenceEqual(Magic))
        {
            reader.Take(132);
            hasPreamble = true;
            ReadMeta(reader, options, meta);
        }
        else if (reader.TryEnsure(6) && reader.PeekUInt16LittleEndian() == 0x0002 && DicomVR.TryParse(reader.Peek(6)[4], reader.Peek(6)[5], out _))
        {
            ReadMeta(reader, options, meta);
        }
        else if (!reader.TryEnsure(8))
        {
            throw new DicomFormatException("The stream is too short to be DICOM", null, 0);
        }

        var transferSyntax = meta.GetUid(DicomTag.TransferSyntaxUid);
        if (string.IsNullOrEmpty(transferSyntax))
        {
            transferSyntax = options.FallbackTransferSyntaxUid ?? GuessTransferSyntax(reader);
        }

        var dataset = DicomDatasetReader.Read(reader, transferSyntax, options, path);
        return new DicomFile(dataset, transferSyntax, meta) { HasPreamble = hasPreamble };
    }

    private static void ReadMeta(DicomStreamReader reader, DicomReadOptions options, DicomDataset meta)
    {
        new DicomParser(reader, options, explicitVr: true, bigEndian: false).ReadFileMetaGroup(meta);
        if (meta.Count == 0)
        {
            throw new DicomFormatException("The file has a DICM prefix but no file meta information", null, reader.Position);
        }
    }

    private static string GuessTransferSyntax(DicomStreamReader reader)
    {
        if (!reader.TryEnsure(6))
        {
            return DicomUids.ImplicitVrLittleEndian;
        }

        var head = reader.Peek(6);
        if (head[0] == 0 && head[1] != 0 && DicomVR.TryParse(head[4], head[5], out _))
        {
            return DicomUids.ExplicitVrBigEndian;
        }

        return DicomVR.TryParse(head[4], head[5], out _) ? DicomUids.ExplicitVrLittleEndian : DicomUids.ImplicitVrLittleEndian;
    }

    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);
        Save(stream);
    }

    /// <summary>Writes preamble, file meta information and the data set in <see cref="TransferSyntaxUid"/>.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var meta = Meta;
        if (meta.MediaStorageSopClassUid.Length == 0 || meta.MediaStorageSopInstanceUid.Length == 0)
        {
            throw new InvalidOperationException("A Part 10 file needs the data set's SOP Class UID and SOP Instance UID.");
        }

        FileMetaInformationWriter.Write(stream, meta);
        DicomDatasetWriter.Write(stream, Dataset, TransferSyntaxUid);
    }
}
