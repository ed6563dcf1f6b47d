namespace RetinaScreen.Dicom.Network;

/// <summary>A-ABORT source field (PS3.8 9.3.8).</summary>
public enum DicomAbortSource : byte
{
    ServiceUser = 0,
    Reserved = 1,
    ServiceProvider = 2,
}

/// <summary>A-ABORT reason/diag field when the source is the service provider (PS3.8 9.3.8).</summary>
public enum DicomAbortReason : byte
{
    NotSpecified = 0,
    UnrecognizedPdu = 1,
    UnexpectedPdu = 2,
    UnrecognizedPduParameter = 4,
    UnexpectedPduParameter = 5,
    InvalidPduParameterValue = 6,
}

/// <summary>A-ASSOCIATE-RJ result field (PS3.8 9.3.4).</summary>
public enum DicomRejectResult : byte
{
    Permanent = 1,
    Transient = 2,
}

/// <summary>A-ASSOCIATE-RJ source field (PS3.8 9.3.4).</summary>
public enum DicomRejectSource : byte
{
    ServiceUser = 1,
    ServiceProviderAcse = 2,
    ServiceProviderPresentation = 3,
}

/// <summary>
/// A-ASSOCIATE-RJ reason/diag values (PS3.8 9.3.4). Their meaning depends on the source, so they are grouped by source
/// rather than being one enum with overlapping values.
/// </summary>
public static class DicomRejectReason
{
    // Source 1, service user.
    public const byte NoReasonGiven = 1;
    public const byte ApplicationContextNameNotSupported = 2;
    public const byte CallingAeTitleNotRecognized = 3;
    public const byte CalledAeTitleNotRecognized = 7;

    // Source 2, service provider (ACSE): 1 = no reason given.
    public const byte ProtocolVersionNotSupported = 2;

    // Source 3, service provider (presentation).
    public const byte TemporaryCongestion = 1;
    public const byte LocalLimitExceeded = 2;
}

/// <summary>Result of one presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2).</summary>
public enum DicomPresentationContextResult : byte
{
    Acceptance = 0,
    UserRejection = 1,
    NoReason = 2,
    AbstractSyntaxNotSupported = 3,
    TransferSyntaxesNotSupported = 4,
}
