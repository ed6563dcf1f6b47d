using System.Diagnostics;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Dicom.Network.Dimse;
using RetinaScreen.Dicom.Network.Pdus;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class RobustnessTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task REQ_NET_05_Pdu_claiming_4GB_is_aborted()
    {
        await using var harness = await ServerHarness.StartAsync();
        using (var peer = await RawPeer.ConnectAsync(harness.Port))
        {
            var watch = Stopwatch.StartNew();
            await peer.SendAsync([0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]);

            var pdu = await peer.ReadPduAsync(Prompt);
            Assert.Equal((byte)PduType.Abort, pdu!.Value.Type);
            Assert.Equal((byte)DicomAbortSource.ServiceProvider, pdu.Value.Body[2]);
            Assert.True(await peer.WaitForCloseAsync(Prompt));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"Took {watch.Elapsed}.");
        }

        Assert.Equal(DicomStatus.Success, await new DicomClient().EchoAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN"));
    }

    [Fact]
    public async Task REQ_NET_05_Data_pdu_longer_than_announced_max_is_aborted()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.MaxPduLength = 4096);
        using var peer = await AssociatedPeerAsync(harness.Port);

        await peer.SendAsync([0x04, 0x00, 0x00, 0x00, 0x20, 0x00]);

        Assert.Equal((byte)PduType.Abort, (await peer.ReadPduAsync(Prompt))!.Value.Type);
        Assert.True(await peer.WaitForCloseAsync(Prompt));
        await AssociationNegotiationTests.WaitUntilAsync(() => harness.Server.ActiveAssociations == 0);
    }

    [Fact]
    public async Task REQ_NET_05_Garbage_bytes_are_aborted_and_server_keeps_serving()
    {
        await using var harness = await ServerHarness.StartAsync();
        using (var peer = await RawPeer.ConnectAsync(harness.Port))
        {
            await peer.SendAsync("GET / HTTP/1.1\r\nHost: retinascreen\r\n\r\n"u8.ToArray());

            var pdu = await peer.ReadPduAsync(Prompt);
            Assert.Equal((byte)PduType.Abort, pdu!.Value.Type);
            Assert.Equal((byte)DicomAbortReason.UnrecognizedPdu, pdu.Value.Body[3]);
            Assert.True(await peer.WaitForCloseAsync(Prompt));
        }

        using (var peer = await AssociatedPeerAsync(harness.Port))
        {
            // A PDV on a context that was never negotiated.
            await peer.SendAsync([0x04, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x04, 0x09, 0x03, 0xAB, 0xCD]);
            Assert.Equal((byte)PduType.Abort, (await peer.ReadPduAsync(Prompt))!.Value.Type);
        }

        var echoscu = await Dcmtk.RunAsync("echoscu", $"-aec RETINASCREEN 127.0.0.1 {harness.Port}");
        Assert.True(echoscu.ExitCode == 0, echoscu.Output);
    }

    [Fact]
    public async Task REQ_NET_05_Sender_disconnecting_mid_data_set_leaves_no_temp_file()
    {
        await using var harness = await ServerHarness.StartAsync();
        using (var peer = await AssociatedPeerAsync(harness.Port))
        {
            var command = new DimseCommand
            {
                CommandField = DimseCommandField.CStoreRequest,
                AffectedSopClassUid = DicomUids.SecondaryCapture,
                AffectedSopInstanceUid = "1.2.826.0.1.3680043.2.1143.1",
                MessageId = 1,
                Priority = 0,
                HasDataSet = true,
            }.Encode();
            await peer.SendAsync(Pdv(3, command, isCommand: true, isLast: true));
            await peer.SendAsync(Pdv(3, new byte[8000], isCommand: false, isLast: false));

            // The temp file exists while the data set is arriving...
            await AssociationNegotiationTests.WaitUntilAsync(() => harness.IncomingFiles().Length == 1);
        }

        // ...and is gone once the sender vanished.
        await AssociationNegotiationTests.WaitUntilAsync(() => harness.IncomingFiles().Length == 0 && harness.Server.ActiveAssociations == 0);
        Assert.Empty(harness.Handler.Received);
        Assert.Equal(DicomStatus.Success, await new DicomClient().EchoAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN"));
    }

    [Fact]
    public async Task REQ_NET_05_Stopping_the_server_aborts_associations_and_removes_partial_files()
    {
        var harness = await ServerHarness.StartAsync();
        try
        {
            using var peer = await AssociatedPeerAsync(harness.Port);
            var command = new DimseCommand
            {
                CommandField = DimseCommandField.CStoreRequest,
                AffectedSopClassUid = DicomUids.SecondaryCapture,
                AffectedSopInstanceUid = "1.2.3.5",
                MessageId = 1,
                HasDataSet = true,
            }.Encode();
            await peer.SendAsync(Pdv(3, command, isCommand: true, isLast: true));
            await peer.SendAsync(Pdv(3, new byte[1000], isCommand: false, isLast: false));
            await AssociationNegotiationTests.WaitUntilAsync(() => harness.IncomingFiles().Length == 1);

            await harness.Server.StopAsync().WaitAsync(Prompt);

            Assert.Equal((byte)PduType.Abort, (await peer.ReadPduAsync(Prompt))!.Value.Type);
            Assert.Empty(harness.IncomingFiles());
            Assert.Equal(0, harness.Server.ActiveAssociations);
        }
        finally
        {
            await harness.DisposeAsync();
        }
    }

    [Fact]
    public async Task REQ_NET_05_Idle_association_is_aborted_after_the_idle_timeout()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(500));
        using var peer = await AssociatedPeerAsync(harness.Port);
        var watch = Stopwatch.StartNew();

        var pdu = await peer.ReadPduAsync(Prompt);

        Assert.Equal((byte)PduType.Abort, pdu!.Value.Type);
        Assert.True(await peer.WaitForCloseAsync(Prompt));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(4));
        await AssociationNegotiationTests.WaitUntilAsync(() => harness.Server.ActiveAssociations == 0);
    }

    [Fact]
    public async Task REQ_NET_05_Connection_without_association_request_is_closed_after_artim()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.ArtimTimeout = TimeSpan.FromMilliseconds(500));
        using var peer = await RawPeer.ConnectAsync(harness.Port);

        Assert.True(await peer.WaitForCloseAsync(Prompt));
    }

    [Fact]
    public async Task REQ_NET_05_Sop_class_differing_from_the_context_is_refused_and_nothing_is_stored()
    {
        await using var harness = await ServerHarness.StartAsync();
        using var peer = await AssociatedPeerAsync(harness.Port);
        var command = new DimseCommand
        {
            CommandField = DimseCommandField.CStoreRequest,
            AffectedSopClassUid = DicomUids.EncapsulatedPdf,
            AffectedSopInstanceUid = "1.2.3.4",
            MessageId = 5,
            HasDataSet = true,
        }.Encode();

        await peer.SendAsync(Pdv(3, command, isCommand: true, isLast: true));
        await peer.SendAsync(Pdv(3, new byte[100], isCommand: false, isLast: true));
        var pdu = await peer.ReadPduAsync(Prompt);

        Assert.Equal((byte)PduType.DataTransfer, pdu!.Value.Type);
        var response = DimseCommand.Decode(pdu.Value.Body.AsSpan(6));
        Assert.Equal(DimseCommandField.CStoreResponse, response.CommandField);
        Assert.Equal((ushort?)5, response.MessageIdBeingRespondedTo);
        Assert.Equal((ushort?)DicomStatus.SopClassNotSupported, response.Status);
        Assert.Empty(harness.Handler.Received);
        Assert.Empty(harness.IncomingFiles());
    }

    private static async Task<RawPeer> AssociatedPeerAsync(int port)
    {
        var peer = await RawPeer.ConnectAsync(port);
        await peer.SendAsync(RawPeer.AssociateRequest(
            "RETINASCREEN",
            (1, DicomUids.Verification, [DicomUids.ImplicitVrLittleEndian]),
            (3, DicomUids.SecondaryCapture, [DicomUids.ExplicitVrLittleEndian])));
        var pdu = await peer.ReadPduAsync(Prompt);
        Assert.Equal((byte)PduType.AssociateAccept, pdu!.Value.Type);
        return peer;
    }

    private static byte[] Pdv(byte contextId, byte[] data, bool isCommand, bool isLast)
    {
        var pdu = new byte[PDataFraming.HeadersLength + data.Length];
        PDataFraming.WriteHeaders(pdu, contextId, data.Length, isCommand, isLast);
        data.CopyTo(pdu, PDataFraming.HeadersLength);
        return pdu;
    }
}
