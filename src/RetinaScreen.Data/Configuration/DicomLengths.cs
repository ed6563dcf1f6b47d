namespace RetinaScreen.Data.Configuration;

/// <summary>Column lengths taken from the DICOM value representations (PS3.5 table 6.2-1), in characters.</summary>
internal static class DicomLengths
{
    /// <summary>UI: unique identifier.</summary>
    public const int Uid = 64;
    /// <summary>AE: application entity title.</summary>
    public const int AeTitle = 16;
    /// <summary>LO: long string (Patient ID, institution, manufacturer, description).</summary>
    public const int LongString = 64;
    /// <summary>SH: short string (accession number).</summary>
    public const int ShortString = 16;
    /// <summary>CS: code string (modality, sex, laterality).</summary>
    public const int CodeString = 16;
    /// <summary>PN: three component groups of 64 characters and their separators.</summary>
    public const int PersonName = 194;
    /// <summary>DA is 8 characters; some senders still use the old "YYYY.MM.DD" form, kept as sent.</summary>
    public const int Date = 16;
    /// <summary>Lower-case hex SHA-256.</summary>
    public const int Sha256 = 64;
    /// <summary>A host name or IPv6 address with a port.</summary>
    public const int NetworkAddress = 256;
    public const int StorageKey = 512;
}
