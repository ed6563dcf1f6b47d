using RetinaScreen.Dicom.Network;
using RetinaScreen.Ingest.Devices;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.Associations;

/// <summary>Turns a received C-STORE into an ingest request and the ingest outcome into the precise DIMSE status.</summary>
public sealed class CStoreHandler(InstanceIngestor ingestor, DeviceDirectory devices) : IDicomStoreHandler
{
    public async Task<DicomStoreResult> StoreAsync(DicomStoreRequest request, CancellationToken cancellationToken)
    {
        var outcome = await ingestor.IngestAsync(
            new IngestRequest(
                request.Part10FilePath,
                Source: $"dicom:{request.CallingAeTitle}",
                request.RemoteEndPoint,
                DeclaredSopClassUid: request.SopClassUid,
                DeclaredSopInstanceUid: request.SopInstanceUid,
                Device: devices.Match(request.CallingAeTitle, request.RemoteEndPoint.Address)?.Name,
                Destination: $"dicom:{request.CalledAeTitle}"),
            cancellationToken);

        return ToDimseStatus(outcome);
    }

    public static DicomStoreResult ToDimseStatus(IngestOutcome outcome) => outcome.Result switch
    {
        IngestResult.Stored or IngestResult.Duplicate => DicomStoreResult.Success,
        IngestResult.RejectedUnreadable => DicomStoreResult.Failure(DicomStatus.CannotUnderstand, Truncate(outcome.Reason)),
        IngestResult.RejectedSopClass => DicomStoreResult.Failure(DicomStatus.SopClassNotSupported, Truncate(outcome.Reason)),
        IngestResult.RejectedInvalid => DicomStoreResult.Failure(DicomStatus.DataSetDoesNotMatchSopClass, Truncate(outcome.Reason)),
        IngestResult.OutOfResources => DicomStoreResult.Failure(DicomStatus.OutOfResources, Truncate(outcome.Reason)),
        _ => DicomStoreResult.Failure(DicomStatus.ProcessingFailure),
    };

    /// <summary>Error Comment (0000,0902) is LO: at most 64 characters.</summary>
    private static string? Truncate(string? reason) => reason is { Length: > 64 } ? reason[..64] : reason;
}
