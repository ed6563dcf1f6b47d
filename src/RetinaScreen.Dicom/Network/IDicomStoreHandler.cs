using System.Net;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// Receives each C-STORE once its data set is completely on disk. The handler may move <see cref="DicomStoreRequest.Part10FilePath"/>
/// away (taking ownership); whatever is left at that path is deleted by the server afterwards.
/// </summary>
public interface IDicomStoreHandler
{
    Task<DicomStoreResult> StoreAsync(DicomStoreRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Asked when a request announces a data set, before any of it arrives (the SOP class is the presentation
    /// context's). The answer bounds that transfer while it is received; the server disposes it on every exit path,
    /// at the latest before <see cref="StoreAsync"/> is called. The default takes a data set of any size.
    /// </summary>
    IDicomReceiveBudget OpenReceiveBudget(DicomStoreAnnouncement announcement) => DicomReceiveBudget.Unbounded;
}

/// <summary>What is known of a data set before its first byte: the context's SOP class and who sends it.</summary>
public sealed record DicomStoreAnnouncement(string SopClassUid, string? SopInstanceUid, string CallingAeTitle, IPEndPoint RemoteEndPoint);

/// <summary>
/// The bounds of one data set being received. A data set that grows past <see cref="MaxDatasetBytes"/> aborts the
/// association at once (A-ABORT): draining it would let a sender spend our bandwidth and time without end. When
/// <see cref="TryReserve"/> refuses, nothing more is written, and the rest of the data set is read and discarded (up to
/// <see cref="MaxDatasetBytes"/>) so that the sender is answered Out of Resources (0xA700) on a live association.
/// </summary>
public interface IDicomReceiveBudget : IDisposable
{
    /// <summary>Largest data set (bytes after the file meta information) this transfer may carry.</summary>
    long MaxDatasetBytes { get; }

    /// <summary>
    /// Asked before the data set is written to disk and again as it grows: whether there is room for it to reach
    /// <paramref name="datasetBytes"/>. False is final for this data set.
    /// </summary>
    bool TryReserve(long datasetBytes);
}

/// <summary>Budgets that need no state.</summary>
public static class DicomReceiveBudget
{
    /// <summary>Any size, always room.</summary>
    public static IDicomReceiveBudget Unbounded { get; } = new UnboundedBudget();

    private sealed class UnboundedBudget : IDicomReceiveBudget
    {
        public long MaxDatasetBytes => long.MaxValue;

        public bool TryReserve(long datasetBytes) => true;

        public void Dispose()
        {
        }
    }
}

/// <param name="Part10FilePath">A complete Part 10 file: preamble, group 0002 built from the command and the context, then the data set as received.</param>
/// <param name="DatasetLength">Bytes of data set after the file meta information.</param>
public sealed record DicomStoreRequest(
    string SopClassUid,
    string SopInstanceUid,
    string TransferSyntaxUid,
    string CallingAeTitle,
    string CalledAeTitle,
    IPEndPoint RemoteEndPoint,
    string Part10FilePath,
    long DatasetLength)
{
    /// <summary>What the TLS handshake of the association established; null for plain TCP.</summary>
    public DicomTransportSecurity? Security { get; init; }

    /// <summary>
    /// Lower-case hex SHA-256 of the whole file at <see cref="Part10FilePath"/>, computed from the bytes as they were
    /// written; null when the server did not compute it.
    /// </summary>
    public string? Sha256 { get; init; }
}

/// <summary>The DIMSE status returned to the sender (PS3.4 Annex B.2.3, PS3.7 Annex C).</summary>
public sealed record DicomStoreResult(ushort Status, string? ErrorComment = null)
{
    public static DicomStoreResult Success { get; } = new(DicomStatus.Success);

    public static DicomStoreResult WarningCoercionOfDataElements { get; } = new(DicomStatus.WarningCoercionOfDataElements);

    public static DicomStoreResult OutOfResources { get; } = new(DicomStatus.OutOfResources);

    public static DicomStoreResult DataSetDoesNotMatchSopClass { get; } = new(DicomStatus.DataSetDoesNotMatchSopClass);

    public static DicomStoreResult CannotUnderstand { get; } = new(DicomStatus.CannotUnderstand);

    public static DicomStoreResult ProcessingFailure { get; } = new(DicomStatus.ProcessingFailure);

    public static DicomStoreResult SopClassNotSupported { get; } = new(DicomStatus.SopClassNotSupported);

    public static DicomStoreResult DuplicateInvocation { get; } = new(DicomStatus.DuplicateInvocation);

    public static DicomStoreResult Failure(ushort status, string? errorComment = null) => new(status, errorComment);
}

/// <summary>DIMSE status codes used by C-ECHO and C-STORE (PS3.4 B.2.3, PS3.7 C).</summary>
public static class DicomStatus
{
    public const ushort Success = 0x0000;

    /// <summary>Warning: coercion of data elements.</summary>
    public const ushort WarningCoercionOfDataElements = 0xB000;

    /// <summary>Warning: data set does not match SOP class.</summary>
    public const ushort WarningDataSetDoesNotMatchSopClass = 0xB007;

    /// <summary>Warning: elements discarded.</summary>
    public const ushort WarningElementsDiscarded = 0xB006;

    /// <summary>Refused: out of resources.</summary>
    public const ushort OutOfResources = 0xA700;

    /// <summary>Error: data set does not match SOP class.</summary>
    public const ushort DataSetDoesNotMatchSopClass = 0xA900;

    /// <summary>Error: cannot understand.</summary>
    public const ushort CannotUnderstand = 0xC000;

    public const ushort ProcessingFailure = 0x0110;

    /// <summary>Refused: SOP class not supported.</summary>
    public const ushort SopClassNotSupported = 0x0122;

    /// <summary>Failure: duplicate SOP instance (PS3.7 C.5.8).</summary>
    public const ushort DuplicateSopInstance = 0x0111;

    /// <summary>Refused: not authorized (PS3.7 C.5.16).</summary>
    public const ushort RefusedNotAuthorized = 0x0124;

    public const ushort DuplicateInvocation = 0x0210;

    public const ushort UnrecognizedOperation = 0x0211;

    public const ushort MistypedArgument = 0x0212;

    public static bool IsSuccess(ushort status) => status == Success;

    public static bool IsWarning(ushort status) => status is 0x0001 || (status & 0xF000) == 0xB000;

    public static bool IsSuccessOrWarning(ushort status) => IsSuccess(status) || IsWarning(status);
}
