namespace RetinaScreen.Dicom.Network.Pdus;

/// <summary>A presentation context as proposed in an A-ASSOCIATE-RQ (PS3.8 9.3.2.2).</summary>
internal sealed record PresentationContextProposal(byte Id, string AbstractSyntaxUid, IReadOnlyList<string> TransferSyntaxUids);

/// <summary>A presentation context as answered in an A-ASSOCIATE-AC (PS3.8 9.3.3.2).</summary>
internal sealed record PresentationContextAnswer(byte Id, DicomPresentationContextResult Result, string TransferSyntaxUid);

/// <summary>SCP/SCU role selection sub-item (PS3.7 D.3.3.4).</summary>
internal sealed record RoleSelection(string SopClassUid, bool ScuRole, bool ScpRole);

/// <summary>User information item and the sub-items this implementation understands (PS3.8 9.3.2.3, PS3.7 Annex D).</summary>
internal sealed class UserInformation
{
    /// <summary>Maximum P-DATA-TF variable-field length the sender can receive; 0 means unlimited.</summary>
    public uint MaxPduLength { get; set; }

    public string? ImplementationClassUid { get; set; }

    public string? ImplementationVersionName { get; set; }

    public (ushort Invoked, ushort Performed)? AsynchronousOperationsWindow { get; set; }

    public List<RoleSelection> RoleSelections { get; } = [];
}

/// <summary>A-ASSOCIATE-RQ and A-ASSOCIATE-AC share their layout (PS3.8 9.3.2, 9.3.3).</summary>
internal sealed class AssociatePdu
{
    public const string DicomApplicationContextName = "1.2.840.10008.3.1.1.1";

    /// <summary>Largest A-ASSOCIATE-RQ/AC we read: 128 contexts with a dozen transfer syntaxes each fit comfortably.</summary>
    public const int MaxAssociatePduLength = 256 * 1024;

    public ushort ProtocolVersion { get; set; } = 1;

    public string CalledAeTitle { get; set; } = "";

    public string CallingAeTitle { get; set; } = "";

    public string ApplicationContextName { get; set; } = DicomApplicationContextName;

    public List<PresentationContextProposal> Proposals { get; } = [];

    public List<PresentationContextAnswer> Answers { get; } = [];

    public UserInformation UserInformation { get; } = new();

    public void Write(PduBuilder builder, PduType type)
    {
        builder.WriteByte((byte)type);
        builder.WriteByte(0);
        var pduLength = builder.ReserveUInt32();
        builder.WriteUInt16(ProtocolVersion);
        builder.WriteZeros(2);
        builder.WriteAeTitle(CalledAeTitle);
        builder.WriteAeTitle(CallingAeTitle);
        builder.WriteZeros(32);

        WriteUidItem(builder, 0x10, ApplicationContextName);
        if (type == PduType.AssociateRequest)
        {
            foreach (var proposal in Proposals)
            {
                builder.WriteByte(0x20);
                builder.WriteByte(0);
                var itemLength = builder.ReserveUInt16();
                builder.WriteByte(proposal.Id);
                builder.WriteZeros(3);
                WriteUidItem(builder, 0x30, proposal.AbstractSyntaxUid);
                foreach (var transferSyntax in proposal.TransferSyntaxUids)
                {
                    WriteUidItem(builder, 0x40, transferSyntax);
                }

                builder.PatchUInt16Length(itemLength);
            }
        }
        else
        {
            foreach (var answer in Answers)
            {
                builder.WriteByte(0x21);
                builder.WriteByte(0);
                var itemLength = builder.ReserveUInt16();
                builder.WriteByte(answer.Id);
                builder.WriteByte(0);
                builder.WriteByte((byte)answer.Result);
                builder.WriteByte(0);
                WriteUidItem(builder, 0x40, answer.TransferSyntaxUid);
                builder.PatchUInt16Length(itemLength);
            }
        }

        WriteUserInformation(builder);
        builder.PatchUInt32Length(pduLength);
    }

    public static AssociatePdu Parse(ReadOnlySpan<byte> body, PduType type)
    {
        var reader = new PduSpanReader(body);
        var pdu = new AssociatePdu { ProtocolVersion = reader.ReadUInt16() };
        reader.Skip(2);
        pdu.CalledAeTitle = reader.ReadAeTitle();
        pdu.CallingAeTitle = reader.ReadAeTitle();
        reader.Skip(32);

        var sawApplicationContext = false;
        var sawUserInformation = false;
        var ids = new HashSet<byte>();
        while (reader.Remaining > 0)
        {
            var itemType = reader.ReadByte();
            reader.Skip(1);
            var item = reader.Take(reader.ReadUInt16());
            switch (itemType)
            {
                case 0x10:
                    pdu.ApplicationContextName = PduSpanReader.DecodeText(item);
                    sawApplicationContext = true;
                    break;
                case 0x20 when type == PduType.AssociateRequest:
                    var proposal = ParseProposal(item);
                    if (!ids.Add(proposal.Id))
                    {
                        throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "Duplicate presentation context id.");
                    }

                    pdu.Proposals.Add(proposal);
                    break;
                case 0x21 when type == PduType.AssociateAccept:
                    pdu.Answers.Add(ParseAnswer(item));
                    break;
                case 0x50:
                    ParseUserInformation(item, pdu.UserInformation);
                    sawUserInformation = true;
                    break;
                case 0x20 or 0x21:
                    throw new DicomPduException(DicomAbortReason.UnexpectedPduParameter, $"Presentation context item 0x{itemType:X2} in the wrong PDU.");
                default:
                    // Item types this version does not know are skipped whole; their length was checked by Take.
                    break;
            }
        }

        if (!sawApplicationContext || !sawUserInformation)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "Application context or user information item missing.");
        }

        return pdu;
    }

    private static PresentationContextProposal ParseProposal(ReadOnlySpan<byte> item)
    {
        var reader = new PduSpanReader(item);
        var id = reader.ReadByte();
        reader.Skip(3);
        if ((id & 1) == 0)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "Presentation context id must be odd.");
        }

        string? abstractSyntax = null;
        var transferSyntaxes = new List<string>();
        while (reader.Remaining > 0)
        {
            var subType = reader.ReadByte();
            reader.Skip(1);
            var value = PduSpanReader.DecodeText(reader.Take(reader.ReadUInt16()));
            switch (subType)
            {
                case 0x30 when abstractSyntax is null:
                    abstractSyntax = value;
                    break;
                case 0x40:
                    transferSyntaxes.Add(value);
                    break;
                default:
                    throw new DicomPduException(DicomAbortReason.UnexpectedPduParameter, "Unexpected presentation context sub-item.");
            }
        }

        if (string.IsNullOrEmpty(abstractSyntax) || transferSyntaxes.Count == 0)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "Presentation context without abstract or transfer syntax.");
        }

        return new PresentationContextProposal(id, abstractSyntax, transferSyntaxes);
    }

    private static PresentationContextAnswer ParseAnswer(ReadOnlySpan<byte> item)
    {
        var reader = new PduSpanReader(item);
        var id = reader.ReadByte();
        reader.Skip(1);
        var result = (DicomPresentationContextResult)reader.ReadByte();
        reader.Skip(1);
        var transferSyntax = "";
        while (reader.Remaining > 0)
        {
            var subType = reader.ReadByte();
            reader.Skip(1);
            var value = PduSpanReader.DecodeText(reader.Take(reader.ReadUInt16()));
            if (subType == 0x40)
            {
                transferSyntax = value;
            }
        }

        return new PresentationContextAnswer(id, result, transferSyntax);
    }

    private static void ParseUserInformation(ReadOnlySpan<byte> item, UserInformation info)
    {
        var reader = new PduSpanReader(item);
        while (reader.Remaining > 0)
        {
            var subType = reader.ReadByte();
            reader.Skip(1);
            var value = reader.Take(reader.ReadUInt16());
            var sub = new PduSpanReader(value);
            switch (subType)
            {
                case 0x51:
                    info.MaxPduLength = sub.ReadUInt32();
                    break;
                case 0x52:
                    info.ImplementationClassUid = PduSpanReader.DecodeText(value);
                    break;
                case 0x53:
                    info.AsynchronousOperationsWindow = (sub.ReadUInt16(), sub.ReadUInt16());
                    break;
                case 0x54:
                    var uid = PduSpanReader.DecodeText(sub.Take(sub.ReadUInt16()));
                    info.RoleSelections.Add(new RoleSelection(uid, sub.ReadByte() == 1, sub.ReadByte() == 1));
                    break;
                case 0x55:
                    info.ImplementationVersionName = PduSpanReader.DecodeText(value);
                    break;
                default:
                    // Extended negotiation, user identity and future sub-items are optional; not understanding them is allowed.
                    break;
            }
        }
    }

    private void WriteUserInformation(PduBuilder builder)
    {
        var info = UserInformation;
        builder.WriteByte(0x50);
        builder.WriteByte(0);
        var itemLength = builder.ReserveUInt16();

        builder.WriteByte(0x51);
        builder.WriteByte(0);
        builder.WriteUInt16(4);
        builder.WriteUInt32(info.MaxPduLength);

        if (info.ImplementationClassUid is { } classUid)
        {
            WriteUidItem(builder, 0x52, classUid);
        }

        if (info.AsynchronousOperationsWindow is { } window)
        {
            builder.WriteByte(0x53);
            builder.WriteByte(0);
            builder.WriteUInt16(4);
            builder.WriteUInt16(window.Invoked);
            builder.WriteUInt16(window.Performed);
        }

        foreach (var role in info.RoleSelections)
        {
            builder.WriteByte(0x54);
            builder.WriteByte(0);
            var roleLength = builder.ReserveUInt16();
            var uidLength = builder.ReserveUInt16();
            builder.WriteAscii(role.SopClassUid);
            builder.PatchUInt16Length(uidLength);
            builder.WriteByte(role.ScuRole ? (byte)1 : (byte)0);
            builder.WriteByte(role.ScpRole ? (byte)1 : (byte)0);
            builder.PatchUInt16Length(roleLength);
        }

        if (info.ImplementationVersionName is { } versionName)
        {
            WriteUidItem(builder, 0x55, versionName);
        }

        builder.PatchUInt16Length(itemLength);
    }

    private static void WriteUidItem(PduBuilder builder, byte itemType, string value)
    {
        builder.WriteByte(itemType);
        builder.WriteByte(0);
        var length = builder.ReserveUInt16();
        builder.WriteAscii(value);
        builder.PatchUInt16Length(length);
    }
}

/// <summary>The fixed-size PDUs: A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT (PS3.8 9.3.4, 9.3.6-9.3.8).</summary>
internal static class FixedPdus
{
    public const int Length = 10;

    public static byte[] Reject(DicomRejectResult result, DicomRejectSource source, byte reason) =>
        [(byte)PduType.AssociateReject, 0, 0, 0, 0, 4, 0, (byte)result, (byte)source, reason];

    public static byte[] ReleaseRequest() => [(byte)PduType.ReleaseRequest, 0, 0, 0, 0, 4, 0, 0, 0, 0];

    public static byte[] ReleaseResponse() => [(byte)PduType.ReleaseResponse, 0, 0, 0, 0, 4, 0, 0, 0, 0];

    public static byte[] Abort(DicomAbortSource source, DicomAbortReason reason) =>
        [(byte)PduType.Abort, 0, 0, 0, 0, 4, 0, 0, (byte)source, (byte)reason];
}
