using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class StoreScpTests
{
    [Fact]
    public async Task REQ_NET_03_Storescu_jpeg_file_arrives_as_part10_file_with_identical_data_set()
    {
        await using var harness = await ServerHarness.StartAsync();
        var file = await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "fundus");

        var storescu = await Dcmtk.RunAsync("storescu", $"-xy -aet CAMERA1 -aec RETINASCREEN 127.0.0.1 {harness.Port} \"{file}\"");

        Assert.True(storescu.ExitCode == 0, storescu.Output);
        var (request, kept) = Assert.Single(harness.Handler.Received);
        Assert.Equal(DicomUids.SecondaryCapture, request.SopClassUid);
        Assert.Equal(DicomUids.JpegBaseline, request.TransferSyntaxUid);
        Assert.Equal("CAMERA1", request.CallingAeTitle);
        Assert.Equal("RETINASCREEN", request.CalledAeTitle);
        var source = TestImages.DataSetBytes(file);
        Assert.Equal(source.LongLength, request.DatasetLength);
        Assert.Equal(source, TestImages.DataSetBytes(kept));

        var dump = await Dcmtk.RunOkAsync("dcmdump", $"\"{kept}\"");
        Assert.Contains(request.SopInstanceUid, dump.Output, StringComparison.Ordinal);
        Assert.Contains("JPEGBaseline", dump.Output, StringComparison.Ordinal);
        Assert.Contains("CAMERA1", dump.Output, StringComparison.Ordinal); // source AE title in the file meta
        await AssociationNegotiationTests.WaitUntilAsync(() => harness.IncomingFiles().Length == 0);
    }

    [Fact]
    public async Task REQ_NET_03_Storescu_several_files_on_one_association()
    {
        // A small PDU limit makes every data set arrive in many fragments.
        await using var harness = await ServerHarness.StartAsync(o => o.MaxPduLength = 4096);
        var files = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            files.Add(await TestImages.CreateUncompressedDicomAsync(harness.Folder.Path, $"img{i}", 120, 80, seed: i * 17));
        }

        var storescu = await Dcmtk.RunAsync("storescu", $"-aec RETINASCREEN 127.0.0.1 {harness.Port} " + string.Join(' ', files.Select(f => $"\"{f}\"")));

        Assert.True(storescu.ExitCode == 0, storescu.Output);
        var received = harness.Handler.Received.ToArray();
        Assert.Equal(3, received.Length);
        Assert.Single(received.Select(r => r.Request.RemoteEndPoint).Distinct());
        foreach (var file in files)
        {
            var source = TestImages.DataSetBytes(file);
            var (meta, _) = Part10MetaReader.Parse(File.ReadAllBytes(file), file);
            var (request, kept) = received.Single(r => r.Request.SopInstanceUid == meta.MediaStorageSopInstanceUid);
            Assert.Equal(DicomUids.ExplicitVrLittleEndian, request.TransferSyntaxUid);
            Assert.Equal(source, TestImages.DataSetBytes(kept));
            await Dcmtk.RunOkAsync("dcmdump", $"\"{kept}\"");
        }
    }

    [Fact]
    public async Task REQ_NET_03_Handler_failure_answers_processing_failure_and_association_continues()
    {
        await using var harness = await ServerHarness.StartAsync();
        var first = await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "a");
        var second = await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "b", seed: 5);
        var failing = DicomStoreItem.FromFile(first).SopInstanceUid;
        harness.Handler.Behaviour = r => r.SopInstanceUid == failing ? throw new InvalidOperationException("boom") : DicomStoreResult.Success;

        var results = await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [DicomStoreItem.FromFile(first), DicomStoreItem.FromFile(second)]);

        Assert.Equal((ushort?)DicomStatus.ProcessingFailure, results[0].Status);
        Assert.Equal((ushort?)DicomStatus.Success, results[1].Status);
        Assert.True(results[1].IsSuccess);
    }

    [Fact]
    public async Task REQ_NET_03_Handler_status_and_comment_reach_the_sender()
    {
        await using var harness = await ServerHarness.StartAsync();
        var file = await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "dup");
        harness.Handler.Behaviour = _ => new DicomStoreResult(DicomStatus.OutOfResources, "Disk quota reached");

        var result = Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [DicomStoreItem.FromFile(file)]));

        Assert.Equal(DicomStoreOutcome.Sent, result.Outcome);
        Assert.Equal((ushort?)DicomStatus.OutOfResources, result.Status);
        Assert.Equal("Disk quota reached", result.ErrorComment);
        Assert.False(result.IsSuccess);
    }

    [Fact]
    public async Task REQ_NET_03_File_left_by_the_handler_is_deleted()
    {
        var handler = new NonMovingHandler();
        await using var harness = await ServerHarness.StartAsync(handler: handler);
        var file = await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "left");

        var result = Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [DicomStoreItem.FromFile(file)]));

        Assert.True(result.IsSuccess);
        Assert.NotNull(handler.SeenPath);
        Assert.False(File.Exists(handler.SeenPath));
        Assert.Empty(harness.IncomingFiles());
    }

    private sealed class NonMovingHandler : IDicomStoreHandler
    {
        public string? SeenPath { get; private set; }

        public Task<DicomStoreResult> StoreAsync(DicomStoreRequest request, CancellationToken cancellationToken)
        {
            SeenPath = request.Part10FilePath;
            return Task.FromResult(DicomStoreResult.Success);
        }
    }
}
