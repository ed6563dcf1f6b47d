using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class StoreScuTests
{
    [Fact]
    public async Task REQ_NET_04_Our_scu_sends_to_dcmtk_storescp_unchanged()
    {
        using var folder = new TempFolder();
        var output = folder.Sub("out");
        var jpeg = await TestImages.CreateJpegDicomAsync(folder.Path, "jpeg");
        var plain = await TestImages.CreateUncompressedDicomAsync(folder.Path, "plain", 200, 150);
        await using var storescp = await DcmtkStoreScp.StartAsync(output);

        var results = await new DicomClient().StoreAsync(
            "127.0.0.1", storescp.Port, "TESTSCU", "STORESCP", [DicomStoreItem.FromFile(jpeg), DicomStoreItem.FromFile(plain)]);

        Assert.All(results, r => Assert.True(r.IsSuccess, $"{r.Outcome} {r.Status} {r.ErrorComment}"));
        var written = Directory.GetFiles(output);
        Assert.Equal(2, written.Length);
        foreach (var source in new[] { jpeg, plain })
        {
            var item = DicomStoreItem.FromFile(source);
            var received = written.Single(w => DicomStoreItem.FromFile(w).SopInstanceUid == item.SopInstanceUid);
            Assert.Equal(item.TransferSyntaxUid, DicomStoreItem.FromFile(received).TransferSyntaxUid);
            Assert.Equal(TestImages.DataSetBytes(source), TestImages.DataSetBytes(received));
        }
    }

    [Fact]
    public async Task REQ_NET_04_Our_scu_to_our_scp_fragments_to_the_peer_max_pdu()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.MaxPduLength = 1024);
        var items = new List<DicomStoreItem>();
        for (var i = 0; i < 4; i++)
        {
            items.Add(DicomStoreItem.FromFile(await TestImages.CreateUncompressedDicomAsync(harness.Folder.Path, $"p{i}", 64 + i, 48, seed: i)));
        }

        items.Add(DicomStoreItem.FromFile(await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "j")));

        var results = await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", items);

        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(items.Count, harness.Handler.Received.Count);
        foreach (var (request, kept) in harness.Handler.Received)
        {
            var item = items.Single(i => i.SopInstanceUid == request.SopInstanceUid);
            Assert.Equal(item.TransferSyntaxUid, request.TransferSyntaxUid);
            using var expected = item.OpenDataset();
            using var copy = new MemoryStream();
            await expected.CopyToAsync(copy);
            Assert.Equal(copy.ToArray(), TestImages.DataSetBytes(kept));
        }
    }

    [Fact]
    public async Task REQ_NET_04_In_memory_item_with_data_set_of_exact_fragment_multiples()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.MaxPduLength = 1024);
        // 1018 bytes fill one fragment exactly (1024 - PDV header): the last flag must still be set correctly.
        foreach (var size in new[] { 0, 1018, 1018 * 3, 1019 })
        {
            var data = new byte[size];
            Random.Shared.NextBytes(data);
            var item = new DicomStoreItem(DicomUids.SecondaryCapture, DicomUidGenerator.NewUid(), DicomUids.ExplicitVrLittleEndian, () => new MemoryStream(data));

            var result = Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [item]));

            Assert.True(result.IsSuccess);
            var (request, kept) = harness.Handler.Received.Single(r => r.Request.SopInstanceUid == item.SopInstanceUid);
            Assert.Equal(size, request.DatasetLength);
            Assert.Equal(data, TestImages.DataSetBytes(kept));
        }
    }

    [Fact]
    public async Task REQ_NET_04_Unreadable_item_is_reported_and_others_are_sent()
    {
        await using var harness = await ServerHarness.StartAsync();
        var good = DicomStoreItem.FromFile(await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "good"));
        var missing = good with { SopInstanceUid = "1.2.3.999", OpenDataset = () => throw new FileNotFoundException("gone") };

        var results = await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [missing, good]);

        Assert.Equal(DicomStoreOutcome.NotSent, results[0].Outcome);
        Assert.True(results[1].IsSuccess);
    }
}
