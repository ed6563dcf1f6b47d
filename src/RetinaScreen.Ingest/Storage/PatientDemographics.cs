namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// When an arrival's Patient's Name, Birth Date and Sex contradict the stored patient with the same Patient ID. A
/// conflict is a value the arrival has and the stored patient has too, and that differs after the spelling DICOM
/// itself leaves open is set aside; an absent value on either side is never a conflict (an empty stored value is
/// filled in from the arrival instead).
/// </summary>
public static class PatientDemographics
{
    public const string NameAttribute = "Patient's Name";
    public const string BirthDateAttribute = "Patient's Birth Date";
    public const string SexAttribute = "Patient's Sex";

    /// <returns>The attribute names that conflict, in a fixed order; empty when none do.</returns>
    public static IReadOnlyList<string> Conflicts(
        string? storedName, string? storedBirthDate, string? storedSex, string? sentName, string? sentBirthDate, string? sentSex)
    {
        List<string>? conflicts = null;
        if (NamesConflict(storedName, sentName))
        {
            (conflicts ??= []).Add(NameAttribute);
        }

        if (Differ(NormaliseDate(storedBirthDate), NormaliseDate(sentBirthDate)))
        {
            (conflicts ??= []).Add(BirthDateAttribute);
        }

        if (Differ(storedSex?.Trim().ToUpperInvariant(), sentSex?.Trim().ToUpperInvariant()))
        {
            (conflicts ??= []).Add(SexAttribute);
        }

        return conflicts ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// PN (PS3.5 6.2.1): component groups (alphabetic, ideographic, phonetic) separated by '=', components by '^';
    /// trailing empty components and padding may be left out, and cameras differ in letter case. Each group both sides
    /// have is compared, so a sender that adds the ideographic form of the same name is not a conflict.
    /// </summary>
    private static bool NamesConflict(string? stored, string? sent)
    {
        if (string.IsNullOrWhiteSpace(stored) || string.IsNullOrWhiteSpace(sent))
        {
            return false;
        }

        var storedGroups = stored.Split('=');
        var sentGroups = sent.Split('=');
        for (var i = 0; i < Math.Min(storedGroups.Length, sentGroups.Length); i++)
        {
            if (Differ(NormaliseGroup(storedGroups[i]), NormaliseGroup(sentGroups[i])))
            {
                return true;
            }
        }

        return false;
    }

    private static string NormaliseGroup(string group) =>
        string.Join('^', group.Split('^').Select(component => component.Trim())).TrimEnd('^').ToUpperInvariant();

    /// <summary>DA is YYYYMMDD; the ACR-NEMA form YYYY.MM.DD names the same day.</summary>
    private static string? NormaliseDate(string? date) => date?.Trim().Replace(".", "", StringComparison.Ordinal);

    private static bool Differ(string? stored, string? sent) =>
        !string.IsNullOrEmpty(stored) && !string.IsNullOrEmpty(sent) && !string.Equals(stored, sent, StringComparison.Ordinal);
}
