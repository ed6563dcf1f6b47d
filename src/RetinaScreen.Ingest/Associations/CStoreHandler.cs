using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting.Devices;
using RetinaScreen.Hosting;
using RetinaScreen.Ingest.Devices;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.Associations;

/// <summary>Turns a received C-STORE into an ingest request and the ingest outcome into the precise DIMSE status.</summary>
public sealed class CStoreHandler(
    InstanceIngestor ingestor,
    DeviceDirectory devices,
    ArrivalActivity arrivals,
    ObjectSizeLimits sizeLimits,
    DiskWatermark diskWatermark) : IDicomStoreHandler
{
    /// <summary>Known from the presentation context before the first byte: the family's size limit and room on disk.</summary>
    public IDicomReceiveBudget OpenReceiveBudget(DicomStoreAnnouncement announcement) =>
        new ArrivalBudget(sizeLimits.MaxBytes(announcement.SopClassUid), diskWatermark.Reserve());

    public async Task<DicomStoreResult> StoreAsync(DicomStoreRequest request, CancellationToken cancellationToken)
    {
        arrivals.MarkArrival();
        var outcome = await ingestor.IngestAsync(
            new IngestRequest(
                request.Part10FilePath,
                Source: $"dicom:{request.CallingAeTitle}",
                request.RemoteEndPoint,
                DeclaredSopClassUid: request.SopClassUid,
                DeclaredSopInstanceUid: request.SopInstanceUid,
                Device: devices.Match(request.CallingAeTitle, request.RemoteEndPoint.Address, request.Security?.ClientCertificateSha256)?.Name
                    ?? (request.Security?.ClientCertificateSha256 is { } thumbprint ? devices.FindByCertificate(thumbprint)?.Name : null),
                Destination: $"dicom:{request.CalledAeTitle}",
                Sha256: request.Sha256),
            cancellationToken);

        // Again at the answer: the sender's next object starts streaming now.
        arrivals.MarkArrival();
        return ToDimseStatus(outcome);
    }

    public static DicomStoreResult ToDimseStatus(IngestOutcome outcome) => outcome.Result switch
    {
        IngestResult.Stored or IngestResult.Duplicate => DicomStoreResult.Success,
        IngestResult.RejectedUnreadable => DicomStoreResult.Failure(DicomStatus.CannotUnderstand, Truncate(outcome.Reason)),
        IngestResult.RejectedSopClass => DicomStoreResult.Failure(DicomStatus.SopClassNotSupported, Truncate(outcome.Reason)),
        IngestResult.RejectedInvalid => DicomStoreResult.Failure(DicomStatus.DataSetDoesNotMatchSopClass, Truncate(outcome.Reason)),
        IngestResult.OutOfResources => DicomStoreResult.Failure(DicomStatus.OutOfResources, Truncate(outcome.Reason)),
        // The sender may not change a stored patient's identity nor add to another patient's study; the object is
        // kept in quarantine and the comment says which conflict. A refusal, so the sender does not retry unchanged.
        IngestResult.QuarantinedIdentityConflict => DicomStoreResult.Failure(DicomStatus.RefusedNotAuthorized, Truncate(outcome.Reason)),
        // A failure, never a success: the sender must not take this object for stored and delete its copy.
        IngestResult.QuarantinedInstanceConflict => DicomStoreResult.Failure(DicomStatus.DuplicateSopInstance, Truncate(outcome.Reason)),
        _ => DicomStoreResult.Failure(DicomStatus.ProcessingFailure),
    };

    /// <summary>Error Comment (0000,0902) is LO: at most 64 characters.</summary>
    private static string? Truncate(string? reason) => reason is { Length: > 64 } ? reason[..64] : reason;
}
