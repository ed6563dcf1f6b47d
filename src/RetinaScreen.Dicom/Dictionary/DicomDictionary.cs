using System.Collections.Frozen;
using System.Globalization;

namespace RetinaScreen.Dicom;

/// <summary>One data dictionary row: what PS3.6 says about a tag.</summary>
/// <param name="Tag">The tag (for a repeating group, the tag that was looked up).</param>
/// <param name="Keyword">The standard's keyword.</param>
/// <param name="VR">The VR an implicit VR reader uses (DCMTK's choice where PS3.6 allows several, e.g. US for "US or SS").</param>
/// <param name="ValueMultiplicity">VM as PS3.6 writes it ("1", "1-n", "2-2n").</param>
public sealed record DicomDictionaryEntry(DicomTag Tag, string Keyword, DicomVR VR, string ValueMultiplicity)
{
    /// <summary>Every VR PS3.6 allows for the tag; <see cref="VR"/> first.</summary>
    public IReadOnlyList<DicomVR> ValueRepresentations { get; init; } = [VR];

    /// <summary>Retired from the standard (PS3.6 marks it RET); still read and written as it is.</summary>
    public bool IsRetired { get; init; }
}

/// <summary>
/// Tag → keyword, VR and VM. Implicit VR data sets depend on it to know how to read a value; tags it does not know
/// read as UN (PS3.5 6.2.2), which keeps their bytes intact for writing back.
/// </summary>
public static class DicomDictionary
{
    private static readonly FrozenDictionary<uint, DicomDictionaryEntry> ByTag;
    private static readonly FrozenDictionary<string, DicomDictionaryEntry> ByKeyword;
    private static readonly RangeEntry[] RangeEntries;

#pragma warning disable CA1810 // Both tables come from one parse; a static constructor keeps them in step.
    static DicomDictionary()
#pragma warning restore CA1810
    {
        var byTag = new Dictionary<uint, DicomDictionaryEntry>();
        foreach (var line in DicomDictionaryData.Entries.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ');
            var tag = new DicomTag(uint.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            byTag[tag.Value] = Entry(tag, parts[1], parts[2], parts[3], parts.Length > 4);
        }

        var ranges = new List<RangeEntry>();
        foreach (var line in DicomDictionaryData.Ranges.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ');
            ranges.Add(new RangeEntry(
                ushort.Parse(parts[0].AsSpan(0, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ushort.Parse(parts[0].AsSpan(5, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ushort.Parse(parts[1].AsSpan(0, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ushort.Parse(parts[1].AsSpan(5, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                Entry(default, parts[2], parts[3], parts[4], parts.Length > 5)));
        }

        ByTag = byTag.ToFrozenDictionary();
        ByKeyword = byTag.Values.ToFrozenDictionary(e => e.Keyword, StringComparer.OrdinalIgnoreCase);
        RangeEntries = [.. ranges];
    }

    private static DicomDictionaryEntry Entry(DicomTag tag, string vrs, string vm, string keyword, bool retired)
    {
        var all = vrs.Split('/').Select(DicomVR.Parse).ToArray();
        return new DicomDictionaryEntry(tag, keyword, all[0], vm) { ValueRepresentations = all, IsRetired = retired };
    }

    /// <summary>A repeating group or element range of PS3.6 7.6 (even values only, as DCMTK's notation means).</summary>
    private sealed record RangeEntry(ushort GroupLow, ushort GroupHigh, ushort ElementLow, ushort ElementHigh, DicomDictionaryEntry Template)
    {
        public bool Matches(DicomTag tag) =>
            tag.Group >= GroupLow && tag.Group <= GroupHigh && tag.Element >= ElementLow && tag.Element <= ElementHigh
            && (GroupLow == GroupHigh || (tag.Group & 1) == (GroupLow & 1))
            && (ElementLow == ElementHigh || (tag.Element & 1) == (ElementLow & 1));
    }

    public static IEnumerable<DicomDictionaryEntry> Entries => ByTag.Values;

    public static DicomDictionaryEntry? Find(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var entry))
        {
            return entry;
        }

        // Overlay, curve and variable pixel data groups repeat every other group in a range (PS3.6 7.6).
        foreach (var range in RangeEntries)
        {
            if (range.Matches(tag))
            {
                return range.Template with { Tag = tag };
            }
        }

        return null;
    }

    public static DicomDictionaryEntry? FindByKeyword(string keyword) =>
        ByKeyword.TryGetValue(keyword, out var entry) ? entry : null;

    /// <summary>The VR an implicit VR reader uses for a tag.</summary>
    public static DicomVR ImplicitVR(DicomTag tag)
    {
        if (tag.IsGroupLength)
        {
            return DicomVR.UL;
        }

        if (tag.IsPrivateCreator)
        {
            return DicomVR.LO;
        }

        return Find(tag)?.VR ?? DicomVR.UN;
    }

    public static string KeywordOf(DicomTag tag)
    {
        if (tag.IsGroupLength)
        {
            return tag.Group == 0x0002 ? "FileMetaInformationGroupLength" : tag.Group == 0 ? "CommandGroupLength" : "GroupLength";
        }

        if (tag.IsPrivateCreator)
        {
            return "PrivateCreator";
        }

        return Find(tag)?.Keyword ?? (tag.IsPrivate ? "PrivateTag" : "Unknown");
    }
}
