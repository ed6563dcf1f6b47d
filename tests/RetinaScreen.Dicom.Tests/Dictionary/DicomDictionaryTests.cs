using System.Security.Cryptography;
using System.Text.RegularExpressions;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.Dictionary;

public sealed partial class DicomDictionaryTests
{
    private const string DcmtkDictionary = "/usr/share/libdcmtk17/dicom.dic";

    [Fact]
    public void REQ_DCM_06_the_generated_table_comes_from_the_installed_dcmtk_dictionary()
    {
        Assert.True(File.Exists(DcmtkDictionary), $"{DcmtkDictionary} is missing (apt-get install libdcmtk17)");
        var generated = File.ReadAllText(Path.Combine(SourceFolder(), "DicomDictionaryData.g.cs"));
        var recorded = Sha256Pattern().Match(generated);
        Assert.True(recorded.Success, "the generated file does not record its input's SHA-256");

        var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(DcmtkDictionary)));
        Assert.True(recorded.Groups[1].Value == actual,
            $"{DcmtkDictionary} changed (SHA-256 {actual}); rerun src/RetinaScreen.Dicom/Dictionary/generate-dictionary.py");
    }

    [Fact]
    public void REQ_DCM_06_every_plain_dcmtk_entry_is_in_the_dictionary_with_its_vr_vm_and_retired_state()
    {
        var checkedEntries = 0;
        foreach (var line in File.ReadLines(DcmtkDictionary))
        {
            var fields = line.Split('\t');
            var match = PlainTagPattern().Match(fields[0]);
            if (line.StartsWith('#') || fields.Length != 5 || !match.Success || fields[1] == "na")
            {
                continue;
            }

            var tag = DicomTag.Parse(match.Groups[1].Value + match.Groups[2].Value);
            var entry = DicomDictionary.Find(tag);
            Assert.True(entry is not null, $"{tag} {fields[2]} is missing");
            Assert.Equal(fields[2].Replace("RETIRED_", string.Empty, StringComparison.Ordinal), entry.Keyword);
            Assert.Equal(fields[3], entry.ValueMultiplicity);
            Assert.Equal(fields[4].EndsWith("retired", StringComparison.Ordinal), entry.IsRetired);
            if (fields[1].All(char.IsUpper))
            {
                Assert.Equal(fields[1], entry.VR.Code);
            }

            checkedEntries++;
        }

        Assert.True(checkedEntries > 4800, $"only {checkedEntries} entries checked");
    }

    [Fact]
    public void REQ_DCM_06_multi_vr_entries_list_every_allowed_vr_and_read_as_dcmtk_reads_them()
    {
        var smallest = DicomDictionary.Find(DicomTag.SmallestImagePixelValue)!;
        Assert.Equal(DicomVR.US, smallest.VR);
        Assert.Equal([DicomVR.US, DicomVR.SS], smallest.ValueRepresentations);

        var pixelData = DicomDictionary.Find(DicomTag.PixelData)!;
        Assert.Equal(DicomVR.OW, pixelData.VR);
        Assert.Contains(DicomVR.OB, pixelData.ValueRepresentations);
    }

    [Fact]
    public void REQ_DCM_06_repeating_groups_and_retired_tags_are_found()
    {
        var overlay = DicomDictionary.Find(new DicomTag(0x6002, 0x3000));
        Assert.Equal("OverlayData", overlay?.Keyword);
        Assert.Equal(new DicomTag(0x6002, 0x3000), overlay?.Tag);
        Assert.Null(DicomDictionary.Find(new DicomTag(0x6001, 0x3000)));

        var curve = DicomDictionary.Find(new DicomTag(0x5010, 0x3000));
        Assert.True(curve is { Keyword: "CurveData", IsRetired: true });

        var otherIds = DicomDictionary.FindByKeyword("OtherPatientIDs");
        Assert.True(otherIds is { IsRetired: true });
        Assert.Equal(DicomTag.OtherPatientIds, otherIds.Tag);
        Assert.False(DicomDictionary.Find(DicomTag.PatientName)!.IsRetired);
    }

    private static string SourceFolder() => RepoPaths.Combine("src", "RetinaScreen.Dicom", "Dictionary");

    [GeneratedRegex(@"SHA-256 ([0-9a-f]{64})")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex(@"^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$")]
    private static partial Regex PlainTagPattern();
}
