using System.Collections.Frozen;
using System.Globalization;

namespace RetinaScreen.Dicom;

/// <summary>One data dictionary row: what PS3.6 says about a tag.</summary>
public sealed record DicomDictionaryEntry(DicomTag Tag, string Keyword, DicomVR VR, string ValueMultiplicity);

/// <summary>
/// Tag → keyword, VR and VM. Implicit VR data sets depend on it to know how to read a value; tags it does not know
/// read as UN (PS3.5 6.2.2), which keeps their bytes intact for writing back.
/// </summary>
public static class DicomDictionary
{
    private static readonly FrozenDictionary<uint, DicomDictionaryEntry> ByTag;
    private static readonly FrozenDictionary<string, DicomDictionaryEntry> ByKeyword;

#pragma warning disable CA1810 // Both tables come from one parse; a static constructor keeps them in step.
    static DicomDictionary()
#pragma warning restore CA1810
    {
        var byTag = new Dictionary<uint, DicomDictionaryEntry>();
        foreach (var line in DicomDictionaryData.Entries.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ');
            var tag = new DicomTag(uint.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            byTag[tag.Value] = new DicomDictionaryEntry(tag, parts[3], DicomVR.Parse(parts[1]), parts[2]);
        }

        ByTag = byTag.ToFrozenDictionary();
        ByKeyword = byTag.Values.ToFrozenDictionary(e => e.Keyword, StringComparer.OrdinalIgnoreCase);
    }

    public static IEnumerable<DicomDictionaryEntry> Entries => ByTag.Values;

    public static DicomDictionaryEntry? Find(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var entry))
        {
            return entry;
        }

        // Overlay and curve groups repeat every other group in a range (PS3.6 7.6); look them up as the first one.
        if (tag.Group is >= 0x6000 and <= 0x60FF && (tag.Group & 1) == 0)
        {
            return tag.Element switch
            {
                0x0010 => new DicomDictionaryEntry(tag, "OverlayRows", DicomVR.US, "1"),
                0x0011 => new DicomDictionaryEntry(tag, "OverlayColumns", DicomVR.US, "1"),
                0x0040 => new DicomDictionaryEntry(tag, "OverlayType", DicomVR.CS, "1"),
                0x0050 => new DicomDictionaryEntry(tag, "OverlayOrigin", DicomVR.SS, "2"),
                0x0100 => new DicomDictionaryEntry(tag, "OverlayBitsAllocated", DicomVR.US, "1"),
                0x0102 => new DicomDictionaryEntry(tag, "OverlayBitPosition", DicomVR.US, "1"),
                0x3000 => new DicomDictionaryEntry(tag, "OverlayData", DicomVR.OW, "1"),
                _ => null,
            };
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
