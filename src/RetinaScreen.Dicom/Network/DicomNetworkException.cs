namespace RetinaScreen.Dicom.Network;

public class DicomNetworkException : Exception
{
    public DicomNetworkException()
    {
    }

    public DicomNetworkException(string message)
        : base(message)
    {
    }

    public DicomNetworkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The peer answered our A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ.</summary>
public sealed class DicomAssociationRejectedException : DicomNetworkException
{
    public DicomAssociationRejectedException(DicomRejectResult result, DicomRejectSource source, byte reason)
        : base($"Association rejected: result {(byte)result}, source {(byte)source}, reason {reason}.")
    {
        Result = result;
        RejectSource = source;
        Reason = reason;
    }

    public DicomRejectResult Result { get; }

    public DicomRejectSource RejectSource { get; }

    /// <summary>See <see cref="DicomRejectReason"/>; its meaning depends on <see cref="RejectSource"/>.</summary>
    public byte Reason { get; }
}

/// <summary>The peer sent an A-ABORT, or the association broke the protocol.</summary>
public sealed class DicomAssociationAbortedException : DicomNetworkException
{
    public DicomAssociationAbortedException(DicomAbortSource source, DicomAbortReason reason)
        : base($"Association aborted: source {(byte)source}, reason {(byte)reason}.")
    {
        AbortSource = source;
        Reason = reason;
    }

    public DicomAbortSource AbortSource { get; }

    public DicomAbortReason Reason { get; }
}
