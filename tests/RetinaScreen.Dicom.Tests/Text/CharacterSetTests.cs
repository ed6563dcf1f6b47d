using System.Diagnostics;
using System.Text;
using System.Text.Json;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;
using RetinaScreen.Dicom.Tests.IO;

namespace RetinaScreen.Dicom.Tests.Text;

public sealed class CharacterSetTests
{
    private static readonly HashSet<string> TextVrs = ["AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"];

    public static TheoryData<string> CharsetFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(CorpusAgreementTests.CharsetFolder, "*.dcm").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    /// <summary>
    /// pydicom's charset files (single-byte sets, UTF-8, GB18030, and ISO 2022 Japanese and Korean with escape
    /// sequences, some in nested items with their own character set) decode to the text pydicom decodes. pydicom is the
    /// peer here because DCMTK's Debian build cannot convert ISO 2022 IR 87 (its iconv lacks it).
    /// </summary>
    [Theory]
    [MemberData(nameof(CharsetFiles))]
    public void REQ_DCM_07_text_decodes_as_pydicom_decodes_it(string name)
    {
        var path = Path.Combine(CorpusAgreementTests.CharsetFolder, name);
        using var expected = JsonDocument.Parse(PydicomJson(path));
        using var actual = JsonDocument.Parse(DicomJsonWriter.ToJson(DicomFile.Open(path).Dataset));

        var differences = new List<string>();
        CompareText(expected.RootElement, actual.RootElement, string.Empty, differences);
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences.Take(10)));
    }

    [Fact]
    public void REQ_DCM_07_chinese_iso_2022_ir_58_decodes_gb2312()
    {
        // "中文" in GB 2312 (EUC-CN bytes D6D0 CEC4) after ESC $ ) A.
        var set = DicomCharacterSet.FromTerms(["", "ISO 2022 IR 58"]);
        Assert.Equal("Wang^中文", set.Decode([.. "Wang^"u8, 0x1B, 0x24, 0x29, 0x41, 0xD6, 0xD0, 0xCE, 0xC4]));
    }

    [Fact]
    public void REQ_DCM_07_japanese_iso_2022_ir_159_decodes_jis_x_0212()
    {
        // "丂" and "鼖" are in JIS X 0212 only: ESC $ ( D then 3021 / 6D2B, back to ASCII with ESC ( B.
        var set = DicomCharacterSet.FromTerms(["", "ISO 2022 IR 87", "ISO 2022 IR 159"]);
        byte[] bytes = [0x1B, 0x24, 0x28, 0x44, 0x30, 0x21, 0x6D, 0x2B, 0x1B, 0x28, 0x42, (byte)'^', (byte)'A'];
        Assert.Equal("丂鼖^A", set.Decode(bytes));
    }

    [Fact]
    public void REQ_DCM_07_korean_iso_2022_ir_149_decodes_ks_x_1001()
    {
        var set = DicomCharacterSet.FromTerms(["", "ISO 2022 IR 149"]);
        Assert.Equal("Kim^김희중", set.Decode([.. "Kim^"u8, 0x1B, 0x24, 0x29, 0x43, 0xB1, 0xE8, 0xC8, 0xF1, 0xC1, 0xDF]));
    }

    [Fact]
    public void REQ_DCM_07_an_unknown_escape_sequence_is_reported_not_mangled()
    {
        var set = DicomCharacterSet.FromTerms(["", "ISO 2022 IR 87"]);

        var ex = Assert.Throws<DicomCharacterSetException>(() => set.Decode([0x1B, 0x24, 0x29, 0x5A, 0xB1, 0xE8]));
        Assert.Contains("Unknown ISO 2022 escape sequence", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_07_an_unknown_term_is_reported()
    {
        var ex = Assert.Throws<DicomCharacterSetException>(() => DicomCharacterSet.FromTerms(["ISO_IR 999"]));
        Assert.Contains("ISO_IR 999", ex.Message, StringComparison.Ordinal);
    }

    private static void CompareText(JsonElement expected, JsonElement actual, string path, List<string> differences)
    {
        foreach (var property in expected.EnumerateObject())
        {
            var vr = property.Value.TryGetProperty("vr", out var v) ? v.GetString() : null;
            if (vr != "SQ" && !TextVrs.Contains(vr ?? string.Empty))
            {
                continue;
            }

            if (!actual.TryGetProperty(property.Name, out var ours))
            {
                differences.Add($"{path}/{property.Name}: missing");
                continue;
            }

            // Private elements of implicit VR files stay UN bytes here; pydicom applies its private dictionary.
            if (ours.TryGetProperty("vr", out var ourVr) && ourVr.GetString() == "UN" && DicomTag.Parse(property.Name).IsPrivate)
            {
                continue;
            }

            // Empty values are written as "" by pydicom and null or left out by this writer (PS3.18 F.2.5): only text is compared.
            var hasValue = property.Value.TryGetProperty("Value", out var values);
            var oursHasValue = ours.TryGetProperty("Value", out var ourValues);
            if (!hasValue || !oursHasValue)
            {
                if ((hasValue ? Normalize(values) : "[]") != (oursHasValue ? Normalize(ourValues) : "[]"))
                {
                    differences.Add($"{path}/{property.Name}: expected {(hasValue ? values : "no value")}, got {(oursHasValue ? ourValues : "no value")}");
                }

                continue;
            }

            if (vr == "SQ")
            {
                var items = values.EnumerateArray().ToList();
                var ourItems = ourValues.EnumerateArray().ToList();
                for (var i = 0; i < Math.Min(items.Count, ourItems.Count); i++)
                {
                    CompareText(items[i], ourItems[i], $"{path}/{property.Name}[{i}]", differences);
                }

                continue;
            }

            if (values.GetRawText() != ourValues.GetRawText() && Normalize(values) != Normalize(ourValues))
            {
                differences.Add($"{path}/{property.Name}: expected {values}, got {ourValues}");
            }
        }
    }

    private static string Normalize(JsonElement values)
    {
        var texts = values.EnumerateArray().Select(v => v.ValueKind switch
        {
            JsonValueKind.Null => string.Empty,
            JsonValueKind.String => v.GetString(),
            _ => string.Join("=", v.EnumerateObject().Select(p => $"{p.Name}:{p.Value.GetString()}")),
        }).ToList();
        // A person name of delimiters only ("^^^^") is empty too.
        return texts.All(t => string.IsNullOrEmpty(t?.Replace("Alphabetic:", string.Empty, StringComparison.Ordinal).Trim('^', '='))) ? "[]" : string.Join("\\", texts);
    }

    /// <summary>pydicom's DICOM JSON model of a file, from Debian's python3-pydicom (fails the test if missing).</summary>
    private static string PydicomJson(string path)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import sys, json, pydicom; ds = pydicom.dcmread(sys.argv[1]); "
            + "sys.stdout.buffer.write(json.dumps(ds.to_json_dict(bulk_data_threshold=1 << 30), ensure_ascii=False).encode('utf-8'))");
        start.ArgumentList.Add(path);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "pydicom did not finish within 60 s");
        Assert.True(process.ExitCode == 0, $"pydicom failed on {path} (apt-get install python3-pydicom): {stderr.Result}");
        return stdout.Result;
    }
}
