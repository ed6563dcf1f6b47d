using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RetinaScreen.Cli.Dicom;
using RetinaScreen.Dicom.Tests.Support;
using Xunit.Abstractions;

namespace RetinaScreen.Dicom.Tests.IO;

/// <summary>
/// Every file of pydicom's data folders and files made with DCMTK: where dcm2json reads a file, <c>dicom dump --json</c>
/// agrees with it element by element (binary values as InlineBinary base64); where DCMTK rejects it, so do we.
/// </summary>
public sealed class CorpusAgreementTests(ITestOutputHelper output)
{
    public const string CharsetFolder = "/usr/lib/python3/dist-packages/pydicom/data/charset_files";

    // dcm2json's exit codes (dcm2json.cc): 20 = the file could not be read, 80 = its character set could not be
    // converted, 81 = the data set could not be written as JSON (encapsulated pixel data).
    private const int DcmtkReadError = 20;
    private const int DcmtkCharsetError = 80;
    private const int DcmtkEncapsulatedError = 81;

    [Fact]
    public void REQ_DCM_01_every_corpus_file_agrees_with_dcm2json_or_is_rejected_by_both()
    {
        using var temp = new TempFolder();
        var files = CorpusFiles(temp);
        Assert.True(files.Count > 100, $"the corpus is too small ({files.Count} files)");

        var report = new List<string>();
        var failures = new List<string>();
        foreach (var (name, path) in files)
        {
            var verdict = Check(path, temp);
            (verdict.Failed ? failures : report).Add($"{verdict.Outcome,-16} {name}{(verdict.Note.Length > 0 ? " — " + verdict.Note : string.Empty)}");
        }

        foreach (var line in report.Concat(failures))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"{files.Count} files: {report.Count(l => l.StartsWith("pass", StringComparison.Ordinal))} pass, "
            + $"{report.Count(l => l.StartsWith("known-difference", StringComparison.Ordinal))} known difference, "
            + $"{report.Count(l => l.StartsWith("both-reject", StringComparison.Ordinal))} rejected by both, {failures.Count} failed");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>Files DCMTK reads silently and this toolkit refuses on purpose, with the reason.</summary>
    private static readonly Dictionary<string, string> KnownRejections = new(StringComparer.Ordinal)
    {
        ["DICOMDIR-nooffset"] = "its last item claims 248 bytes where the file has 224 and its sequence is never delimited; "
            + "DCMTK stops quietly at the end of the file, this reader reports the truncation",
    };

    /// <summary>Files where dcm2json's values are wrong, checked instead against pydicom in CharacterSetTests.</summary>
    private static readonly Dictionary<string, (string Path, string Reason)> KnownValueDifferences = new(StringComparer.Ordinal)
    {
        ["chrSQEncoding.dcm"] = ("/00321064/Value[0]/00100010", "dcm2json 3.6.7 ignores the item's own Specific Character Set (ISO 2022 IR 13\\ISO 2022 IR 87) and "
            + "writes its bytes undecoded; pydicom and this reader decode them (CharacterSetTests)"),
    };

    private sealed record Verdict(string Outcome, string Note, bool Failed = false);

    private static Verdict Check(string path, TempFolder temp)
    {
        var dcmtk = DcmtkTool.Run("dcm2json", path);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var ours = DicomDumpCommand.Run([path, "--json"], stdout, stderr);
        var notes = new List<string>();

        if (KnownRejections.TryGetValue(System.IO.Path.GetFileName(path), out var reason) && dcmtk.ExitCode == 0 && ours == 1)
        {
            return new Verdict("known-difference", $"{reason}: {FirstLine(stderr.ToString())}");
        }

        if (dcmtk.ExitCode == DcmtkReadError)
        {
            return ours == 1 && stderr.ToString().Contains("dicom dump: ", StringComparison.Ordinal) && stderr.ToString().Length > 20
                ? new Verdict("both-reject", FirstLine(stderr.ToString()))
                : new Verdict("FAIL", $"DCMTK rejects it ({FirstLine(dcmtk.StandardError)}), ours exited {ours}", Failed: true);
        }

        if (ours != 0)
        {
            return new Verdict("FAIL", $"DCMTK reads it (exit {dcmtk.ExitCode}), ours rejects it: {FirstLine(stderr.ToString())}", Failed: true);
        }

        var expectedText = dcmtk.StandardOutput;
        var actual = JsonNode.Parse(stdout.ToString())!.AsObject();
        if (dcmtk.ExitCode == DcmtkEncapsulatedError)
        {
            // Documented DCMTK limit: dcm2json cannot write encapsulated pixel data, so it compares a copy without it.
            var copy = temp.File("no-pixels-" + Guid.NewGuid().ToString("N") + ".dcm");
            File.Copy(path, copy);
            DcmtkTool.RunChecked("dcmodify", "-nb", "-ea", "(7fe0,0010)", copy);
            var rerun = DcmtkTool.Run("dcm2json", copy);
            if (rerun.ExitCode != 0)
            {
                return new Verdict("FAIL", $"dcm2json exits {rerun.ExitCode} even without pixel data: {FirstLine(rerun.StandardError)}", Failed: true);
            }

            expectedText = rerun.StandardOutput;
            actual.Remove("7FE00010");
            notes.Add("encapsulated pixel data not comparable (dcm2json cannot write it)");
            if (actual.Remove("FFFCFFFC"))
            {
                notes.Add("trailing padding dropped by dcmodify's copy");
            }
        }
        else if (dcmtk.ExitCode == DcmtkCharsetError)
        {
            return new Verdict("known-difference", $"DCMTK's iconv cannot convert its character set ({FirstLine(dcmtk.StandardError)}); ours reads it (see CharacterSetTests)");
        }
        else if (dcmtk.ExitCode != 0)
        {
            return new Verdict("FAIL", $"dcm2json exited {dcmtk.ExitCode}: {FirstLine(dcmtk.StandardError)}", Failed: true);
        }

        var expected = JsonNode.Parse(expectedText)!.AsObject();
        ApplyDocumentedDifferences(expected, actual, notes);
        using var e = JsonDocument.Parse(expected.ToJsonString());
        using var a = JsonDocument.Parse(actual.ToJsonString());
        var differences = JsonComparison.Differences(e.RootElement, a.RootElement, new HashSet<string>());
        if (differences.Count > 0 && KnownValueDifferences.TryGetValue(System.IO.Path.GetFileName(path), out var known)
            && differences.All(d => d.StartsWith(known.Path, StringComparison.Ordinal)))
        {
            notes.Add($"{known.Reason} ({differences.Count} values under {known.Path})");
            return new Verdict("known-difference", string.Join("; ", notes));
        }

        if (differences.Count > 0)
        {
            return new Verdict("FAIL", string.Join("; ", differences.Take(5)), Failed: true);
        }

        return notes.Count == 0 ? new Verdict("pass", string.Empty) : new Verdict("known-difference", string.Join("; ", notes));
    }

    /// <summary>dcm2json rewrites Specific Character Set to ISO_IR 192 (it writes UTF-8) and drops group lengths, at every level.</summary>
    private static void ApplyDocumentedDifferences(JsonObject expected, JsonObject actual, List<string> notes)
    {
        foreach (var key in actual.Select(p => p.Key).Where(k => k.EndsWith("0000", StringComparison.Ordinal) && !expected.ContainsKey(k)).ToList())
        {
            actual.Remove(key);
            AddOnce(notes, "group lengths dropped by dcm2json");
        }

        if (expected["00080005"]?["Value"] is JsonArray { Count: 1 } set && set[0]?.GetValue<string>() == "ISO_IR 192"
            && actual["00080005"]?.ToJsonString() != expected["00080005"]!.ToJsonString())
        {
            expected.Remove("00080005");
            actual.Remove("00080005");
            AddOnce(notes, "Specific Character Set rewritten to ISO_IR 192 by dcm2json");
        }

        foreach (var key in expected.Select(p => p.Key).ToList())
        {
            ComparePrivateUn(key, expected, actual, notes);
        }

        foreach (var (key, value) in expected.ToList())
        {
            if (value?["Value"] is JsonArray items && value["vr"]?.GetValue<string>() == "SQ"
                && actual[key]?["Value"] is JsonArray ours && ours.Count == items.Count)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    if (items[i] is JsonObject item && ours[i] is JsonObject our)
                    {
                        ApplyDocumentedDifferences(item, our, notes);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Implicit VR private elements: DCMTK gives them the VR of its private dictionary (private.dic), this reader keeps
    /// them as UN bytes (PS3.5 6.2.2). Equal when the bytes read as that VR give dcm2json's values.
    /// </summary>
    private static void ComparePrivateUn(string key, JsonObject expected, JsonObject actual, List<string> notes)
    {
        if (!DicomTag.TryParse(key, out var tag) || !tag.IsPrivate
            || actual[key]?["vr"]?.GetValue<string>() != "UN" || expected[key]?["vr"]?.GetValue<string>() is not { } vr || vr == "UN")
        {
            return;
        }

        if (vr is "OB" or "OW" or "OD" or "OF" or "OL" or "OV")
        {
            actual[key]!["vr"] = vr;
            AddOnce(notes, "implicit VR private elements kept as UN (DCMTK applies its private dictionary); their bytes compared as DCMTK's VR");
            return;
        }

        var bytes = actual[key]?["InlineBinary"] is { } b64 ? Convert.FromBase64String(b64.GetValue<string>()) : [];
        var values = Reinterpret(bytes, vr);
        if (values is null)
        {
            return;
        }

        var reread = new JsonObject { ["vr"] = vr };
        if (values.Count > 0)
        {
            reread["Value"] = values;
        }

        actual[key] = reread;
        AddOnce(notes, "implicit VR private elements kept as UN (DCMTK applies its private dictionary); their bytes compared as DCMTK's VR");
    }

    private static JsonArray? Reinterpret(byte[] bytes, string vr)
    {
        var result = new JsonArray();
        switch (vr)
        {
            case "US" or "SS" or "UL" or "SL" or "FL" or "FD":
                var size = vr is "US" or "SS" ? 2 : vr == "FD" ? 8 : 4;
                for (var i = 0; i + size <= bytes.Length; i += size)
                {
                    var span = bytes.AsSpan(i, size);
                    result.Add(vr switch
                    {
                        "US" => JsonValue.Create(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(span)),
                        "SS" => JsonValue.Create(System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(span)),
                        "UL" => JsonValue.Create(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span)),
                        "SL" => JsonValue.Create(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(span)),
                        "FL" => JsonValue.Create((double)System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(span)),
                        _ => JsonValue.Create(System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(span)),
                    });
                }

                return result;
            case "AE" or "AS" or "CS" or "DA" or "DS" or "DT" or "IS" or "LO" or "LT" or "PN" or "SH" or "ST" or "TM" or "UC" or "UI" or "UR" or "UT":
                var text = Encoding.Latin1.GetString(bytes).TrimEnd('\0', ' ');
                if (text.Length == 0)
                {
                    return result;
                }

                foreach (var value in vr is "LT" or "ST" or "UT" or "UR" ? [text] : text.Split('\\'))
                {
                    var trimmed = value.Trim(' ', '\0');
                    result.Add(vr switch
                    {
                        "DS" or "IS" => trimmed.Length == 0 ? null : JsonValue.Create(double.Parse(trimmed, System.Globalization.CultureInfo.InvariantCulture)),
                        "PN" => trimmed.Length == 0 ? null : new JsonObject { ["Alphabetic"] = trimmed },
                        _ => trimmed.Length == 0 ? null : JsonValue.Create(trimmed),
                    });
                }

                return result;
            default:
                return null;
        }
    }

    private static void AddOnce(List<string> notes, string note)
    {
        if (!notes.Contains(note))
        {
            notes.Add(note);
        }
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;

    /// <summary>pydicom's files (every one, DICOM or not) and files made now with DCMTK, in a fixed order.</summary>
    internal static List<(string Name, string Path)> CorpusFiles(TempFolder temp)
    {
        var files = new List<(string, string)>();
        foreach (var folder in new[] { TestImages.PydicomFolder, CharsetFolder })
        {
            Assert.True(Directory.Exists(folder), $"{folder} is missing (apt-get install python3-pydicom).");
            foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                files.Add((System.IO.Path.GetRelativePath(System.IO.Path.GetDirectoryName(folder)!, path), path));
            }
        }

        files.AddRange(DcmtkMadeFiles(temp));
        return files;
    }

    internal static List<(string Name, string Path)> DcmtkMadeFiles(TempFolder temp)
    {
        var made = new List<(string, string)>();
        var frame = TestImages.Fundus(96, 64);
        TestImages.SaveJpeg(frame, temp.File("fundus.jpg"));
        TestImages.SaveBmp(frame, temp.File("fundus.bmp"));
        string Make(string name, string tool, params string[] args)
        {
            var path = temp.File(name);
            DcmtkTool.RunChecked(tool, [.. args, path]);
            made.Add(("dcmtk/" + name, path));
            return path;
        }

        Make("img2dcm-jpeg.dcm", "img2dcm", temp.File("fundus.jpg"));
        var rgb = Make("img2dcm-bmp.dcm", "img2dcm", "-i", "BMP", temp.File("fundus.bmp"));
        var grey = TestImages.Pydicom("CT_small.dcm");
        foreach (var (label, source) in new[] { ("rgb", rgb), ("grey16", grey) })
        {
            Make($"{label}-implicit.dcm", "dcmconv", "+ti", source);
            Make($"{label}-explicit-le.dcm", "dcmconv", "+te", source);
            Make($"{label}-explicit-be.dcm", "dcmconv", "+tb", source);
            Make($"{label}-deflated.dcm", "dcmconv", "+td", source);
            Make($"{label}-rle.dcm", "dcmcrle", source);
            Make($"{label}-jpeg-lossless-sv1.dcm", "dcmcjpeg", "+e1", source);
            Make($"{label}-jpeg-lossless.dcm", "dcmcjpeg", "+el", source);
        }

        Make("rgb-jpeg-baseline.dcm", "dcmcjpeg", "+eb", rgb);
        Make("rgb-jpeg-extended.dcm", "dcmcjpeg", "+ee", rgb);
        return made;
    }
}
