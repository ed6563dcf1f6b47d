using System.Text.Json;
using RetinaScreen.Cli.Dicom;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.Cli;

public sealed class DicomDumpCommandTests
{
    [Fact]
    public void Dump_prints_a_tree_with_keywords_and_nested_items()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = DicomDumpCommand.Run([TestImages.Pydicom("rtplan.dcm")], stdout, stderr);

        Assert.Equal(0, code);
        var text = stdout.ToString();
        Assert.Contains("# Dicom-Data-Set", text, StringComparison.Ordinal);
        Assert.Contains("(0008,0016) UI [1.2.840.10008.5.1.4.1.1.481.5]", text, StringComparison.Ordinal);
        Assert.Contains("SOPClassUID", text, StringComparison.Ordinal);
        Assert.Contains("(300A,0010) SQ (Sequence with", text, StringComparison.Ordinal);
        Assert.Contains("(FFFE,E000) na (Item #1)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_05_dump_json_writes_the_dicom_json_model()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = DicomDumpCommand.Run([TestImages.Pydicom("CT_small.dcm"), "--json"], stdout, stderr);

        Assert.Equal(0, code);
        var json = JsonDocument.Parse(stdout.ToString()).RootElement;
        Assert.Equal("CompressedSamples^CT1", json.GetProperty("00100010").GetProperty("Value")[0].GetProperty("Alphabetic").GetString());
        Assert.Equal(128, json.GetProperty("00280010").GetProperty("Value")[0].GetInt32());
    }

    [Fact]
    public void Dump_reports_a_damaged_file_on_stderr_with_exit_code_1()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = DicomDumpCommand.Run([TestImages.Pydicom("MR_truncated.dcm")], stdout, stderr);

        Assert.Equal(1, code);
        Assert.Contains("byte offset", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_without_a_file_is_a_usage_error()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(2, DicomDumpCommand.Run([], stdout, stderr));
        Assert.Contains("usage", stderr.ToString(), StringComparison.Ordinal);
    }
}
