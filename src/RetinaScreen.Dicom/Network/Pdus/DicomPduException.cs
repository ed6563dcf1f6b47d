namespace RetinaScreen.Dicom.Network.Pdus;

/// <summary>A PDU that breaks PS3.8; the association is aborted with <see cref="Reason"/>.</summary>
internal sealed class DicomPduException : Exception
{
    public DicomPduException(DicomAbortReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public DicomAbortReason Reason { get; }
}
