namespace RetinaScreen.Dicom;

/// <summary>The input is not well-formed DICOM. Names the tag and byte offset where the reader gave up, when known.</summary>
public class DicomFormatException : Exception
{
    public DicomFormatException()
    {
    }

    public DicomFormatException(string message)
        : base(message)
    {
    }

    public DicomFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DicomFormatException(string message, DicomTag? tag, long? offset, Exception? innerException = null)
        : base(Describe(message, tag, offset), innerException)
    {
        Tag = tag;
        Offset = offset;
    }

    public DicomTag? Tag { get; }

    public long? Offset { get; }

    private static string Describe(string message, DicomTag? tag, long? offset)
    {
        var where = (tag, offset) switch
        {
            ({ } t, { } o) => $" at {t} ({DicomDictionary.KeywordOf(t)}), byte offset {o}",
            ({ } t, null) => $" at {t} ({DicomDictionary.KeywordOf(t)})",
            (null, { } o) => $" at byte offset {o}",
            _ => string.Empty,
        };
        return message + where + ".";
    }
}
