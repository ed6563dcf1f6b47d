namespace RetinaScreen.Dicom;

/// <summary>
/// The longest value each text VR allows, in characters (PS3.5 table 6.2-1). A value longer than its VR allows is
/// not DICOM, and a database column sized by these limits would refuse it.
/// </summary>
public static class DicomValueLengths
{
    /// <summary>AE: application entity title.</summary>
    public const int ApplicationEntity = 16;

    /// <summary>CS: code string.</summary>
    public const int CodeString = 16;

    /// <summary>DA: date, YYYYMMDD.</summary>
    public const int Date = 8;

    /// <summary>
    /// DA as ACR-NEMA wrote it ("YYYY.MM.DD"): PS3.5 still asks receivers to accept it, so it is kept as sent.
    /// </summary>
    public const int LegacyDate = 10;

    /// <summary>LO: long string.</summary>
    public const int LongString = 64;

    /// <summary>PN: each of the up to three component groups (alphabetic, ideographic, phonetic).</summary>
    public const int PersonNameComponentGroup = 64;

    /// <summary>SH: short string.</summary>
    public const int ShortString = 16;

    /// <summary>UI: unique identifier (see <see cref="DicomUids.IsValid"/> for its syntax).</summary>
    public const int UniqueIdentifier = DicomUids.MaxLength;

    /// <summary>Whether a value of <paramref name="vr"/> fits its VR's length limit; null or empty always fits.</summary>
    public static bool Fits(DicomVR vr, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        return vr.Code switch
        {
            "AE" => value.Length <= ApplicationEntity,
            "CS" => value.Length <= CodeString,
            "DA" => value.Length <= Date || (value.Length == LegacyDate && value[4] == '.' && value[7] == '.'),
            "LO" => value.Length <= LongString,
            "PN" => PersonNameFits(value),
            "SH" => value.Length <= ShortString,
            "UI" => value.Length <= UniqueIdentifier,
            _ => true,
        };
    }

    /// <summary>At most three component groups separated by '=', each at most 64 characters.</summary>
    private static bool PersonNameFits(string value)
    {
        var groups = value.Split('=');
        return groups.Length <= 3 && groups.All(group => group.Length <= PersonNameComponentGroup);
    }
}
