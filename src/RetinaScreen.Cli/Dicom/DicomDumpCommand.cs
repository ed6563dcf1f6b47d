using System.Globalization;
using System.Text;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;

namespace RetinaScreen.Cli.Dicom;

/// <summary><c>dicom dump FILE [--json]</c>: a dcmdump-like tree, or the DICOM JSON model (PS3.18 Annex F).</summary>
public static class DicomDumpCommand
{
    private const int MaxShownText = 64;
    private const int MaxShownNumbers = 16;

    private static readonly DicomReadOptions JsonOptions = new() { AllowOddLengths = true };

    private static readonly DicomReadOptions TreeOptions = JsonOptions with { DeferValuesLargerThan = 64 * 1024 };

    /// <param name="args">The arguments after <c>dicom dump</c>: FILE and optionally --json.</param>
    /// <returns>0 on success, 1 when the file cannot be read, 2 on a usage error.</returns>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? path = null;
        var json = false;
        foreach (var arg in args)
        {
            if (arg == "--json")
            {
                json = true;
            }
            else if (arg is "-h" or "--help")
            {
                stdout.WriteLine("usage: retinascreen dicom dump FILE [--json]");
                return 0;
            }
            else if (path is null && !arg.StartsWith("--", StringComparison.Ordinal))
            {
                path = arg;
            }
            else
            {
                stderr.WriteLine($"dicom dump: unexpected argument '{arg}'");
                stderr.WriteLine("usage: retinascreen dicom dump FILE [--json]");
                return 2;
            }
        }

        if (path is null)
        {
            stderr.WriteLine("usage: retinascreen dicom dump FILE [--json]");
            return 2;
        }

        DicomFile file;
        try
        {
            // A dump is a diagnostic view, lenient like dcmdump: odd value lengths from old writers are shown, not refused.
            // The tree leaves large values in the file (a deflated file's are inflated past); the JSON model writes every
            // value, read in one pass, within the default inflation limit.
            file = DicomFile.Open(path, json ? JsonOptions : TreeOptions);
        }
        catch (DicomFormatException ex)
        {
            stderr.WriteLine($"dicom dump: {path}: {ex.Message}");
            return 1;
        }
        catch (IOException ex)
        {
            stderr.WriteLine($"dicom dump: {path}: {ex.Message}");
            return 1;
        }
        catch (UnauthorizedAccessException ex)
        {
            stderr.WriteLine($"dicom dump: {path}: {ex.Message}");
            return 1;
        }

        try
        {
            if (json)
            {
                stdout.WriteLine(DicomJsonWriter.ToJson(file.Dataset, indented: true));
            }
            else
            {
                WriteTree(file, stdout);
            }
        }
        catch (DicomFormatException ex)
        {
            stderr.WriteLine($"dicom dump: {path}: {ex.Message}");
            return 1;
        }

        return 0;
    }

    private static void WriteTree(DicomFile file, TextWriter output)
    {
        output.WriteLine("# Dicom-File-Format");
        if (file.MetaInformation.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("# Dicom-Meta-Information-Header");
            output.WriteLine("# Used TransferSyntax: Little Endian Explicit");
            WriteDataset(file.MetaInformation, output, 0);
        }

        output.WriteLine();
        output.WriteLine("# Dicom-Data-Set");
        output.WriteLine($"# Used TransferSyntax: {DicomUids.NameOf(file.TransferSyntaxUid) ?? file.TransferSyntaxUid}");
        WriteDataset(file.Dataset, output, 0);
    }

    private static void WriteDataset(DicomDataset dataset, TextWriter output, int depth)
    {
        var indent = new string(' ', depth * 2);
        foreach (var element in dataset)
        {
            var keyword = DicomDictionary.KeywordOf(element.Tag);
            switch (element)
            {
                case DicomSequence sequence:
                    output.WriteLine($"{indent}{element.Tag} SQ (Sequence with {sequence.Items.Count} item{(sequence.Items.Count == 1 ? string.Empty : "s")}) # {keyword}");
                    for (var i = 0; i < sequence.Items.Count; i++)
                    {
                        output.WriteLine($"{indent}  (FFFE,E000) na (Item #{i + 1})");
                        WriteDataset(sequence.Items[i], output, depth + 2);
                    }

                    break;
                case DicomFragmentSequence fragments:
                    output.WriteLine($"{indent}{element.Tag} {element.VR} (PixelSequence with {fragments.Fragments.Count + 1} items) # {keyword}");
                    output.WriteLine($"{indent}  (FFFE,E000) pi (offset table, {fragments.OffsetTable.Length} bytes)");
                    foreach (var fragment in fragments.Fragments)
                    {
                        output.WriteLine($"{indent}  (FFFE,E000) pi (fragment, {fragment.Length} bytes)");
                    }

                    break;
                case DicomPrimitive primitive:
                    output.WriteLine($"{indent}{element.Tag} {element.VR} {Describe(dataset, primitive)} # {primitive.Length}, {keyword}");
                    break;
            }
        }
    }

    private static string Describe(DicomDataset dataset, DicomPrimitive element)
    {
        if (element.Length == 0)
        {
            return "(no value)";
        }

        var vr = element.VR;
        if (vr == DicomVR.OB || vr == DicomVR.UN || vr == DicomVR.OW || vr == DicomVR.OF || vr == DicomVR.OD || vr == DicomVR.OL || vr == DicomVR.OV)
        {
            if (element.Length > 64 || element.Buffer.IsDeferred)
            {
                return $"({element.Length} bytes of binary data)";
            }

            var bytes = element.Buffer.Memory.Span;
            var hex = new StringBuilder();
            for (var i = 0; i < bytes.Length && i < MaxShownNumbers; i++)
            {
                hex.Append(i == 0 ? string.Empty : "\\").Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
            }

            return bytes.Length > MaxShownNumbers ? hex + "..." : hex.ToString();
        }

        string[] values;
        try
        {
            values = dataset.GetValuesAsText(element);
        }
        catch (DicomCharacterSetException ex)
        {
            return $"(undecodable: {ex.Message})";
        }

        if (vr.IsText)
        {
            var text = string.Join('\\', values);
            return "[" + (text.Length > MaxShownText ? text[..MaxShownText] + "..." : text) + "]";
        }

        var shown = values.Length > MaxShownNumbers ? string.Join('\\', values[..MaxShownNumbers]) + "..." : string.Join('\\', values);
        return shown;
    }
}
