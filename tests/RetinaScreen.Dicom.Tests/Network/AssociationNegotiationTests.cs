using RetinaScreen.Dicom.Network;
using RetinaScreen.Dicom.Network.Pdus;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class AssociationNegotiationTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task REQ_NET_01_Wrong_called_AE_is_rejected_permanently_with_reason_7()
    {
        await using var harness = await ServerHarness.StartAsync();

        var echoscu = await Dcmtk.RunAsync("echoscu", $"-aec SOMEONEELSE 127.0.0.1 {harness.Port}");
        Assert.NotEqual(0, echoscu.ExitCode);
        Assert.Contains("Called AE Title Not Recognized", echoscu.Output, StringComparison.OrdinalIgnoreCase);

        var ex = await Assert.ThrowsAsync<DicomAssociationRejectedException>(
            () => new DicomClient().EchoAsync("127.0.0.1", harness.Port, "TESTSCU", "SOMEONEELSE"));
        Assert.Equal(DicomRejectResult.Permanent, ex.Result);
        Assert.Equal(DicomRejectSource.ServiceUser, ex.RejectSource);
        Assert.Equal(DicomRejectReason.CalledAeTitleNotRecognized, ex.Reason);
    }

    [Fact]
    public async Task REQ_NET_01_Calling_AE_not_allowed_is_rejected_with_reason_3()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.AllowedCallingAeTitles = ["CAMERA1"]);

        var ex = await Assert.ThrowsAsync<DicomAssociationRejectedException>(
            () => new DicomClient().EchoAsync("127.0.0.1", harness.Port, "INTRUDER", "RETINASCREEN"));
        Assert.Equal(DicomRejectResult.Permanent, ex.Result);
        Assert.Equal(DicomRejectReason.CallingAeTitleNotRecognized, ex.Reason);

        Assert.Equal(DicomStatus.Success, await new DicomClient().EchoAsync("127.0.0.1", harness.Port, "CAMERA1", "RETINASCREEN"));
    }

    [Fact]
    public async Task REQ_NET_01_Unsupported_sop_class_context_is_refused_by_storescu_and_our_scu()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.AcceptedSopClassUids = [DicomUids.OphthalmicPhotography8Bit]);
        var file = await TestImages.CreateJpegDicomAsync(harness.Folder.Path, "sc");

        var storescu = await Dcmtk.RunAsync("storescu", $"-xy -aec RETINASCREEN 127.0.0.1 {harness.Port} \"{file}\"");
        Assert.NotEqual(0, storescu.ExitCode);
        Assert.Contains("no presentation context", storescu.Output, StringComparison.OrdinalIgnoreCase);

        var results = await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [DicomStoreItem.FromFile(file)]);
        Assert.Equal(DicomStoreOutcome.PresentationContextRejected, Assert.Single(results).Outcome);
        Assert.Empty(harness.Handler.Received);
    }

    [Fact]
    public async Task REQ_NET_01_Contexts_are_answered_individually_with_results_3_and_4()
    {
        await using var harness = await ServerHarness.StartAsync(o =>
        {
            o.AcceptedSopClassUids = [DicomUids.SecondaryCapture];
            o.PreferredTransferSyntaxUids = [DicomUids.JpegBaseline, DicomUids.ExplicitVrLittleEndian];
        });
        using var peer = await RawPeer.ConnectAsync(harness.Port);

        await peer.SendAsync(RawPeer.AssociateRequest(
            "RETINASCREEN",
            (1, DicomUids.Verification, [DicomUids.ImplicitVrLittleEndian]),
            (3, DicomUids.SecondaryCapture, [DicomUids.ImplicitVrLittleEndian, DicomUids.ExplicitVrLittleEndian, DicomUids.JpegBaseline]),
            (5, DicomUids.SecondaryCapture, [DicomUids.Jpeg2000]),
            (7, DicomUids.EncapsulatedPdf, [DicomUids.ExplicitVrLittleEndian])));
        var pdu = await peer.ReadPduAsync(Prompt);

        Assert.Equal((byte)PduType.AssociateAccept, pdu!.Value.Type);
        var accept = AssociatePdu.Parse(pdu.Value.Body, PduType.AssociateAccept);
        var answers = accept.Answers.ToDictionary(a => a.Id);
        Assert.Equal(DicomPresentationContextResult.Acceptance, answers[1].Result);
        Assert.Equal(DicomUids.ImplicitVrLittleEndian, answers[1].TransferSyntaxUid);
        Assert.Equal(DicomPresentationContextResult.Acceptance, answers[3].Result);
        Assert.Equal(DicomUids.JpegBaseline, answers[3].TransferSyntaxUid); // our preference, not the proposer's order
        Assert.Equal(DicomPresentationContextResult.TransferSyntaxesNotSupported, answers[5].Result);
        Assert.Equal(DicomPresentationContextResult.AbstractSyntaxNotSupported, answers[7].Result);
        Assert.Equal(65536u, accept.UserInformation.MaxPduLength);
        Assert.Equal(DicomImplementation.ClassUid, accept.UserInformation.ImplementationClassUid);
    }

    [Fact]
    public async Task REQ_NET_01_Over_the_association_limit_is_rejected_transient_local_limit_exceeded()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.MaxConcurrentAssociations = 1);
        using (var holder = await RawPeer.ConnectAsync(harness.Port))
        {
            await holder.SendAsync(RawPeer.AssociateRequest("RETINASCREEN", (1, DicomUids.Verification, [DicomUids.ImplicitVrLittleEndian])));
            Assert.Equal((byte)PduType.AssociateAccept, (await holder.ReadPduAsync(Prompt))!.Value.Type);

            var ex = await Assert.ThrowsAsync<DicomAssociationRejectedException>(
                () => new DicomClient().EchoAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN"));
            Assert.Equal(DicomRejectResult.Transient, ex.Result);
            Assert.Equal(DicomRejectSource.ServiceProviderPresentation, ex.RejectSource);
            Assert.Equal(DicomRejectReason.LocalLimitExceeded, ex.Reason);

            await holder.SendAsync(FixedPdus.ReleaseRequest());
            Assert.Equal((byte)PduType.ReleaseResponse, (await holder.ReadPduAsync(Prompt))!.Value.Type);
        }

        // The slot is given back once the association ends.
        await WaitUntilAsync(() => harness.Server.ActiveAssociations == 0);
        Assert.Equal(DicomStatus.Success, await new DicomClient().EchoAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN"));
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "Condition not met in time.");
            await Task.Delay(25);
        }
    }
}
