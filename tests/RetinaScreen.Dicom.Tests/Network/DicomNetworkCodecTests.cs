using RetinaScreen.Dicom.Network;
using RetinaScreen.Dicom.Network.Dimse;
using RetinaScreen.Dicom.Network.Pdus;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class DicomNetworkCodecTests
{
    [Fact]
    public void REQ_NET_02_Command_set_round_trips_in_implicit_little_endian()
    {
        var command = new DimseCommand
        {
            CommandField = DimseCommandField.CStoreRequest,
            AffectedSopClassUid = DicomUids.SecondaryCapture,
            AffectedSopInstanceUid = "1.2.3.4.5",
            MessageId = 7,
            Priority = 0,
            HasDataSet = true,
            MoveOriginatorAeTitle = "MOVER",
            MoveOriginatorMessageId = 3,
        };

        var encoded = command.Encode();
        var decoded = DimseCommand.Decode(encoded);

        // Group length is the first element and counts every byte after it.
        Assert.Equal(encoded.Length - 12, BitConverter.ToInt32(encoded, 8));
        Assert.Equal(0, encoded.Length % 2);
        Assert.Equal(command.CommandField, decoded.CommandField);
        Assert.Equal(command.AffectedSopClassUid, decoded.AffectedSopClassUid);
        Assert.Equal(command.AffectedSopInstanceUid, decoded.AffectedSopInstanceUid);
        Assert.Equal((ushort?)7, decoded.MessageId);
        Assert.True(decoded.HasDataSet);
        Assert.Equal("MOVER", decoded.MoveOriginatorAeTitle);
        Assert.Equal((ushort?)3, decoded.MoveOriginatorMessageId);
    }

    [Fact]
    public void REQ_NET_02_Response_carries_status_and_truncated_error_comment()
    {
        var response = new DimseCommand
        {
            CommandField = DimseCommandField.CStoreResponse,
            MessageIdBeingRespondedTo = 9,
            Status = DicomStatus.ProcessingFailure,
            ErrorComment = new string('x', 80),
        };

        var decoded = DimseCommand.Decode(response.Encode());

        Assert.False(decoded.HasDataSet);
        Assert.Equal((ushort?)DicomStatus.ProcessingFailure, decoded.Status);
        Assert.Equal((ushort?)9, decoded.MessageIdBeingRespondedTo);
        Assert.Equal(64, decoded.ErrorComment!.Length);
    }

    [Fact]
    public void REQ_NET_05_Truncated_command_is_a_format_error()
    {
        var encoded = new DimseCommand { CommandField = DimseCommandField.CEchoRequest, MessageId = 1 }.Encode();
        Assert.Throws<FormatException>(() => DimseCommand.Decode(encoded.AsSpan(0, encoded.Length - 1)));
    }

    [Fact]
    public void REQ_NET_01_Associate_request_round_trips_with_user_information()
    {
        var request = new AssociatePdu { CalledAeTitle = "RETINASCREEN", CallingAeTitle = "CAMERA1" };
        request.Proposals.Add(new PresentationContextProposal(1, DicomUids.Verification, [DicomUids.ImplicitVrLittleEndian]));
        request.Proposals.Add(new PresentationContextProposal(3, DicomUids.SecondaryCapture, [DicomUids.JpegBaseline, DicomUids.ExplicitVrLittleEndian]));
        request.UserInformation.MaxPduLength = 32768;
        request.UserInformation.ImplementationClassUid = DicomImplementation.ClassUid;
        request.UserInformation.ImplementationVersionName = DicomImplementation.VersionName;
        request.UserInformation.AsynchronousOperationsWindow = (2, 1);
        request.UserInformation.RoleSelections.Add(new RoleSelection(DicomUids.SecondaryCapture, ScuRole: true, ScpRole: false));
        using var builder = new PduBuilder(16);
        request.Write(builder, PduType.AssociateRequest);

        var bytes = builder.WrittenSpan;
        Assert.Equal((byte)PduType.AssociateRequest, bytes[0]);
        var parsed = AssociatePdu.Parse(bytes[6..], PduType.AssociateRequest);

        Assert.Equal("RETINASCREEN", parsed.CalledAeTitle);
        Assert.Equal("CAMERA1", parsed.CallingAeTitle);
        Assert.Equal(2, parsed.Proposals.Count);
        Assert.Equal([DicomUids.JpegBaseline, DicomUids.ExplicitVrLittleEndian], parsed.Proposals[1].TransferSyntaxUids);
        Assert.Equal(32768u, parsed.UserInformation.MaxPduLength);
        Assert.Equal(DicomImplementation.ClassUid, parsed.UserInformation.ImplementationClassUid);
        Assert.Equal(DicomImplementation.VersionName, parsed.UserInformation.ImplementationVersionName);
        Assert.Equal(((ushort)2, (ushort)1), parsed.UserInformation.AsynchronousOperationsWindow);
        Assert.Equal(new RoleSelection(DicomUids.SecondaryCapture, true, false), Assert.Single(parsed.UserInformation.RoleSelections));
    }

    [Fact]
    public void REQ_NET_05_Item_longer_than_its_pdu_is_rejected()
    {
        var bytes = RawPeer.AssociateRequest("RETINASCREEN", (1, DicomUids.Verification, [DicomUids.ImplicitVrLittleEndian]));
        // Claim the application context item is much longer than what follows.
        bytes[6 + 68 + 2] = 0x7F;
        var ex = Assert.Throws<DicomPduException>(() => AssociatePdu.Parse(bytes.AsSpan(6), PduType.AssociateRequest));
        Assert.Equal(DicomAbortReason.InvalidPduParameterValue, ex.Reason);
    }

    [Fact]
    public void REQ_NET_04_Part10_meta_reader_finds_identity_and_data_set_offset()
    {
        using var stream = new MemoryStream();
        RetinaScreen.Dicom.IO.FileMetaInformationWriter.Write(stream, new RetinaScreen.Dicom.IO.FileMetaInformation(DicomUids.SecondaryCapture, "1.2.3", DicomUids.JpegBaseline, "CAM"));
        var metaLength = stream.Length;
        stream.Write([0x08, 0x00, 0x16, 0x00]);

        var (meta, offset) = Part10MetaReader.Parse(stream.ToArray(), "test");

        Assert.Equal(DicomUids.SecondaryCapture, meta.MediaStorageSopClassUid);
        Assert.Equal("1.2.3", meta.MediaStorageSopInstanceUid);
        Assert.Equal(DicomUids.JpegBaseline, meta.TransferSyntaxUid);
        Assert.Equal("CAM", meta.SourceApplicationEntityTitle);
        Assert.Equal(metaLength, offset);
    }
}
