using System.Text.RegularExpressions;
using RetinaScreen.Cli.Sending;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// <c>retinascreen send</c> options (issue 4 item 8) against the real embedded host: files split over parallel
/// associations, and <c>--propose</c> restricting what is sent to files already in the listed transfer syntaxes.
/// </summary>
public sealed partial class SendCommandTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private const string JpegBaseline = "1.2.840.10008.1.2.4.50";
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-send-").FullName;
    private DatabaseProbe Database => new(Path.Combine(host.DataPath, "data"));

    [Fact]
    public async Task REQ_NET_11_Six_files_over_three_associations_are_all_stored_two_per_association()
    {
        var folder = Path.Combine(_work, "six");
        var output = new StringWriter();
        Assert.Equal(0, SynthCommand.Run(["--out", folder, "--count", "6", "--seed", "930000"], output, output));
        var sops = DicomFiles(folder).Select(f => DicomStoreItem.FromFile(f).SopInstanceUid).ToArray();
        Assert.Equal(6, sops.Length);
        var releasesBefore = ReleasedAssociations().Count;

        var exitCode = await SendCommand.RunAsync(["127.0.0.1", host.DicomPort.ToString(), folder, "--associations", "3"], output, output);

        Assert.True(exitCode == 0, output.ToString());
        Assert.Matches(@"^6 of 6 stored in \d+\.\d\d s \(\d+\.\d instances/s, \d+\.\d MB/s\)$", SummaryLine(output));
        foreach (var sop in sops)
        {
            Assert.Equal(1, await Database.InstancesAsync(sop));
        }

        // The host logs each release with its instance count: three associations, each reused for two files, and no
        // association that carried all six. (A late release line of an earlier test would carry another count.)
        var releases = (await WaitForReleasesAsync(releasesBefore, twoInstanceReleases: 3)).Skip(releasesBefore).ToArray();
        Assert.Equal(3, releases.Count(n => n == 2));
        Assert.DoesNotContain(6, releases);
    }

    [Fact]
    public async Task REQ_NET_11_Propose_sends_only_files_in_the_listed_syntax_and_reports_the_others_skipped()
    {
        var folder = Path.Combine(_work, "mixed");
        var output = new StringWriter();
        Assert.Equal(0, SynthCommand.Run(["--out", folder, "--count", "2", "--seed", "931000"], output, output));
        var files = DicomFiles(folder);
        Assert.Equal(2, files.Length);
        var jpeg = DicomStoreItem.FromFile(files[0]);
        Assert.Equal(JpegBaseline, jpeg.TransferSyntaxUid);
        // The second photograph goes to explicit VR little endian; the JPEG original is removed so only it remains.
        var explicitFile = Path.Combine(folder, "explicit.dcm");
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmdjpeg", ["+te", files[1], explicitFile])).ExitCode);
        File.Delete(files[1]);
        var uncompressed = DicomStoreItem.FromFile(explicitFile);
        Assert.Equal("1.2.840.10008.1.2.1", uncompressed.TransferSyntaxUid);

        var exitCode = await SendCommand.RunAsync(["127.0.0.1", host.DicomPort.ToString(), folder, "--propose", JpegBaseline], output, output);

        Assert.True(exitCode == 0, output.ToString());
        Assert.Contains("explicit.dcm: skipped (transfer syntax 1.2.840.10008.1.2.1 not proposed", output.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"^1 of 1 stored in ", SummaryLine(output));
        Assert.Equal(1, await Database.InstancesAsync(jpeg.SopInstanceUid));
        Assert.Equal(0, await Database.InstancesAsync(uncompressed.SopInstanceUid));
    }

    [Fact]
    public async Task REQ_NET_11_Unknown_transfer_syntax_name_is_a_usage_error()
    {
        var output = new StringWriter();
        Assert.Equal(2, await SendCommand.RunAsync(["127.0.0.1", host.DicomPort.ToString(), _work, "--propose", "jpeg-ish"], output, output));
        Assert.Equal(2, await SendCommand.RunAsync(["127.0.0.1", host.DicomPort.ToString(), _work, "--associations", "0"], output, output));
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string[] DicomFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*.dcm", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private static string SummaryLine(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.TrimEntries).Last(l => l.Contains(" stored in ", StringComparison.Ordinal));

    private List<int> ReleasedAssociations() =>
        host.Log.Split('\n').Select(l => ReleasedLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private async Task<List<int>> WaitForReleasesAsync(int skip, int twoInstanceReleases)
    {
        // The host writes its log asynchronously; the release line may trail the A-RELEASE-RP the client saw.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var releases = ReleasedAssociations();
            if (releases.Skip(skip).Count(n => n == 2) >= twoInstanceReleases)
            {
                return releases;
            }

            await Task.Delay(100);
        }

        return ReleasedAssociations();
    }

    [GeneratedRegex(@"Association \S+ released after (\d+) instances")]
    private static partial Regex ReleasedLine();
}
