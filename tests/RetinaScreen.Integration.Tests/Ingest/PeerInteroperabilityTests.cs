using System.Diagnostics;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// Interoperability with real peers started by the test (issue 4, "Done means"): DCMTK storescu/dcmsend and
/// Orthanc sending to the RetinaScreen host, RetinaScreen's SCU sending to Orthanc and DCMTK storescp. Data sets
/// must arrive byte for byte as sent.
/// </summary>
public sealed class PeerInteroperabilityTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-interop-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");
    private string Port => host.DicomPort.ToString();

    [Fact]
    public async Task REQ_NET_06_Storescu_sends_many_files_on_one_association_and_each_is_stored_unchanged()
    {
        var files = await PhotographsAsync("many", 4, seed: 930_100);
        var result = await ExternalTool.RunAsync("storescu", ["-xy", "-aet", "MANYCAM", "-aec", "RETINASCREEN", "127.0.0.1", Port, .. files]);
        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), result.Output);

        foreach (var file in files)
        {
            var stored = await Part10.StoredObjectAsync(DataFolder, await TestImages.ReadSopInstanceUidAsync(file));
            Assert.NotNull(stored);
            Assert.Equal(Part10.Dataset(file), Part10.Dataset(stored));
        }

        // One association for all of them: the audit shows one calling AE, and storescu was told to use one (default).
        Assert.Equal(files.Length, await new DatabaseProbe(DataFolder).CountAsync("SELECT COUNT(*) FROM Instances WHERE SourceAeTitle = 'dicom:MANYCAM'"));
    }

    [Fact]
    public async Task REQ_NET_06_Storescu_proposing_deflate_sends_a_deflated_file_that_is_stored()
    {
        var jpeg = (await PhotographsAsync("deflate", 1, seed: 930_200))[0];
        var deflated = Path.Combine(_work, "deflated.dcm");
        // Decompress the JPEG, then write the data set deflated (PS3.5 A.5): what a deflate-proposing sender holds.
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmdjpeg", [jpeg, Path.Combine(_work, "raw.dcm")])).ExitCode);
        var conversion = await ExternalTool.RunAsync("dcmconv", ["+td", Path.Combine(_work, "raw.dcm"), deflated]);
        Assert.True(conversion.ExitCode == 0, conversion.Output);

        var result = await ExternalTool.RunAsync("storescu", ["-xd", "-aec", "RETINASCREEN", "127.0.0.1", Port, deflated]);
        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), result.Output);

        var sop = await TestImages.ReadSopInstanceUidAsync(deflated);
        Assert.Equal("1.2.840.10008.1.2.1.99", await Part10.ScalarAsync(DataFolder, "SELECT TransferSyntaxUid FROM Instances WHERE SopInstanceUid = $uid", sop));
        // storescu inflates and deflates again while sending, so the compressed bytes differ; the data set inside
        // must not: both inflated by DCMTK to explicit VR little endian compare equal.
        var storedPath = Path.Combine(_work, "stored-deflated.dcm");
        await File.WriteAllBytesAsync(storedPath, (await Part10.StoredObjectAsync(DataFolder, sop))!);
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmconv", ["+te", deflated, Path.Combine(_work, "sent-inflated.dcm")])).ExitCode);
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmconv", ["+te", storedPath, Path.Combine(_work, "stored-inflated.dcm")])).ExitCode);
        Assert.Equal(Part10.Dataset(Path.Combine(_work, "sent-inflated.dcm")), Part10.Dataset(Path.Combine(_work, "stored-inflated.dcm")));
    }

    [Fact]
    public async Task REQ_NET_06_Dcmsend_sends_a_folder_and_every_file_is_stored()
    {
        var files = await PhotographsAsync("dcmsend", 2, seed: 930_300);
        var result = await ExternalTool.RunAsync("dcmsend", ["-aec", "RETINASCREEN", "+sd", "127.0.0.1", Port, Path.Combine(_work, "dcmsend")]);
        Assert.True(result.ExitCode == 0, result.Output);
        foreach (var file in files)
        {
            var stored = await Part10.StoredObjectAsync(DataFolder, await TestImages.ReadSopInstanceUidAsync(file));
            Assert.NotNull(stored);
            Assert.Equal(Part10.Dataset(file), Part10.Dataset(stored));
        }
    }

    [Fact]
    public async Task REQ_NET_07_Orthanc_sends_to_RetinaScreen_as_a_configured_modality()
    {
        var file = (await PhotographsAsync("orthanc-in", 1, seed: 930_400))[0];
        await using var orthanc = await OrthancPeer.StartAsync(host.DicomPort);
        var id = await orthanc.UploadAsync(file);

        using var body = new StringContent(id);
        using var response = await orthanc.Http.PostAsync("modalities/rs/store", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync() + "\n" + orthanc.Log);

        var stored = await Part10.StoredObjectAsync(DataFolder, await TestImages.ReadSopInstanceUidAsync(file));
        Assert.NotNull(stored);
        Assert.Equal(Part10.Dataset(file), Part10.Dataset(stored));
    }

    [Fact]
    public async Task REQ_NET_08_RetinaScreen_scu_sends_to_Orthanc_and_the_data_set_arrives_unchanged()
    {
        var files = await PhotographsAsync("orthanc-out", 2, seed: 930_500);
        await using var orthanc = await OrthancPeer.StartAsync(host.DicomPort);

        var results = await new DicomClient().StoreAsync("127.0.0.1", orthanc.DicomPort, "RETINASCREEN", OrthancPeer.AeTitle, [.. files.Select(DicomStoreItem.FromFile)]);
        Assert.All(results, r => Assert.True(r.IsSuccess, $"{r.Outcome} {r.Status:X4}"));

        var received = new List<byte[]>();
        foreach (var id in await orthanc.InstanceIdsAsync())
        {
            received.Add(Part10.Dataset(await orthanc.DownloadAsync(id)));
        }

        Assert.Equal(files.Length, received.Count);
        foreach (var file in files)
        {
            var sent = Part10.Dataset(file);
            Assert.Contains(received, r => r.AsSpan().SequenceEqual(sent));
        }
    }

    [Fact]
    public async Task REQ_NET_08_RetinaScreen_scu_sends_to_storescp_and_the_data_set_arrives_unchanged()
    {
        var files = await PhotographsAsync("storescp-out", 2, seed: 930_600);
        var outFolder = Directory.CreateDirectory(Path.Combine(_work, "storescp-received")).FullName;
        var port = FreePort.Next();
        var path = ExternalTool.Which("storescp") ?? throw new InvalidOperationException("'storescp' is not installed (DCMTK; see tests/run.sh).");
        var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "+xa", "-aet", "STORESCP", "-od", outFolder, port.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        using var storescp = Process.Start(start)!;
        try
        {
            var results = await SendWhenListeningAsync(port, "STORESCP", files);
            Assert.All(results, r => Assert.True(r.IsSuccess, $"{r.Outcome} {r.Status:X4}"));

            var received = Directory.GetFiles(outFolder).Select(f => Part10.Dataset(f)).ToList();
            Assert.Equal(files.Length, received.Count);
            foreach (var file in files)
            {
                var sent = Part10.Dataset(file);
                Assert.Contains(received, r => r.AsSpan().SequenceEqual(sent));
            }
        }
        finally
        {
            storescp.Kill(entireProcessTree: true);
            await storescp.WaitForExitAsync();
        }
    }

    private static async Task<IReadOnlyList<DicomStoreItemResult>> SendWhenListeningAsync(int port, string calledAe, string[] files)
    {
        // storescp takes a moment to listen; bounded retries on connection refused.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await new DicomClient().StoreAsync("127.0.0.1", port, "RETINASCREEN", calledAe, [.. files.Select(DicomStoreItem.FromFile)]);
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 40)
            {
                await Task.Delay(250);
            }
        }
    }

    private async Task<string[]> PhotographsAsync(string folderName, int count, int seed)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work, folderName)).FullName;
        var files = new string[count];
        for (var i = 0; i < count; i++)
        {
            var jpeg = TestImages.FundusJpeg(_work, seed + i);
            files[i] = await TestImages.Img2DcmOphthalmicAsync(jpeg, Path.Combine(folder, $"op{i}.dcm"), i % 2 == 0 ? "R" : "L", $"IT-{seed + i}");
            File.Delete(jpeg);
        }

        return files;
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
