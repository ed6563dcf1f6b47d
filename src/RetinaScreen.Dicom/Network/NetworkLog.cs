using System.Net;
using Microsoft.Extensions.Logging;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// Log events of the DICOM network layer, event ids 1000-1099 (server 1000-1049, client 1050-1099). AE titles and
/// UIDs appear only at Debug; no message carries patient data.
/// </summary>
internal static partial class NetworkLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "DICOM SCP listening on {EndPoint}")]
    public static partial void ServerListening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "DICOM SCP stopped")]
    public static partial void ServerStopped(ILogger logger);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Association {AssociationId} requested from {RemoteEndPoint}: calling AE {CallingAeTitle}, called AE {CalledAeTitle}")]
    public static partial void AssociationRequested(ILogger logger, long associationId, EndPoint remoteEndPoint, string callingAeTitle, string calledAeTitle);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Association {AssociationId} accepted with {AcceptedContexts} of {ProposedContexts} presentation contexts")]
    public static partial void AssociationAccepted(ILogger logger, long associationId, int acceptedContexts, int proposedContexts);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Association {AssociationId} rejected: result {Result}, source {Source}, reason {Reason}")]
    public static partial void AssociationRejected(ILogger logger, long associationId, DicomRejectResult result, DicomRejectSource source, byte reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Association {AssociationId} aborted by us: {AbortReason}")]
    public static partial void AssociationAbortedLocally(ILogger logger, long associationId, DicomAbortReason abortReason, Exception exception);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Association {AssociationId} released after {Instances} instances")]
    public static partial void AssociationReleased(ILogger logger, long associationId, int instances);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Association {AssociationId} aborted by the peer (source {Source}, reason {Reason})")]
    public static partial void AssociationAbortedByPeer(ILogger logger, long associationId, byte source, byte reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Association {AssociationId} idle for {IdleTimeout}; aborting")]
    public static partial void IdleTimeout(ILogger logger, long associationId, TimeSpan idleTimeout);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Connection {AssociationId} sent no association request within {ArtimTimeout}; closing")]
    public static partial void ArtimTimeout(ILogger logger, long associationId, TimeSpan artimTimeout);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Connection {AssociationId} closed by the peer mid-association")]
    public static partial void ConnectionLost(ILogger logger, long associationId, Exception? exception);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Debug, Message = "Association {AssociationId}: C-STORE of {SopClassUid} / {SopInstanceUid}, {DatasetLength} bytes, status 0x{Status:X4}")]
    public static partial void StoreCompleted(ILogger logger, long associationId, string sopClassUid, string sopInstanceUid, long datasetLength, ushort status);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "Association {AssociationId}: store handler failed; answering processing failure")]
    public static partial void StoreHandlerFailed(ILogger logger, long associationId, Exception exception);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "Association {AssociationId}: writing the received data set failed; answering out of resources")]
    public static partial void TempFileWriteFailed(ILogger logger, long associationId, Exception exception);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Could not delete a leftover received file")]
    public static partial void TempFileDeleteFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Debug, Message = "Association {AssociationId}: C-ECHO")]
    public static partial void EchoReceived(ILogger logger, long associationId);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Association {AssociationId}: unsupported command 0x{CommandField:X4}")]
    public static partial void UnsupportedCommand(ILogger logger, long associationId, ushort commandField);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Error, Message = "Association {AssociationId} failed")]
    public static partial void AssociationFailed(ILogger logger, long associationId, Exception exception);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Warning, Message = "Accepting a connection failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1019, Level = LogLevel.Debug, Message = "Association {AssociationId}: C-STORE refused before reading: status 0x{Status:X4}")]
    public static partial void StoreRefused(ILogger logger, long associationId, ushort status);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "DICOM TLS SCP listening on {EndPoint} (client certificate required: {RequireClientCertificate})")]
    public static partial void TlsServerListening(ILogger logger, EndPoint endPoint, bool requireClientCertificate);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Connection {AssociationId}: TLS handshake failed or timed out; closed")]
    public static partial void TlsHandshakeFailed(ILogger logger, long associationId, Exception exception);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Debug, Message = "Connection {AssociationId}: {Protocol} established, client certificate presented: {ClientCertificate}")]
    public static partial void TlsEstablished(ILogger logger, long associationId, System.Security.Authentication.SslProtocols protocol, bool clientCertificate);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning, Message = "DICOM TLS client certificate {Thumbprint} (serial {SerialNumber}) is revoked by its issuer's CRL; handshake refused")]
    public static partial void TlsClientCertificateRevoked(ILogger logger, string thumbprint, string serialNumber);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Information, Message = "Client CRL file {Path} loaded: {CrlCount} CRLs, {RevokedCount} revoked certificates")]
    public static partial void CrlLoaded(ILogger logger, string path, int crlCount, int revokedCount);

    [LoggerMessage(EventId = 1025, Level = LogLevel.Error, Message = "Client CRL file {Path} changed but was not loaded ({Reason}); the CRLs loaded before stay in force")]
    public static partial void CrlReloadFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1026, Level = LogLevel.Warning, Message = "The CRL of {Issuer} in {Path} is past its nextUpdate ({NextUpdate:o}); it is still applied: install the CA's current CRL")]
    public static partial void CrlStale(ILogger logger, string path, string issuer, DateTimeOffset nextUpdate);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Association {AssociationId}: data set of SOP class {SopClassUid} passed its limit of {MaxDatasetBytes} bytes; aborting")]
    public static partial void DatasetTooLarge(ILogger logger, long associationId, string sopClassUid, long maxDatasetBytes);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Association {AssociationId}: no room for the data set after {DatasetLength} bytes; discarding the rest and answering out of resources")]
    public static partial void NoRoomForDataset(ILogger logger, long associationId, long datasetLength);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Debug, Message = "SCU association to {Host}:{Port} as {CallingAeTitle} -> {CalledAeTitle}")]
    public static partial void ClientConnecting(ILogger logger, string host, int port, string callingAeTitle, string calledAeTitle);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Information, Message = "SCU association established: {AcceptedContexts} of {ProposedContexts} presentation contexts accepted, peer max PDU {PeerMaxPduLength}")]
    public static partial void ClientAssociated(ILogger logger, int acceptedContexts, int proposedContexts, uint peerMaxPduLength);

    [LoggerMessage(EventId = 1052, Level = LogLevel.Debug, Message = "SCU C-STORE of {SopInstanceUid}: status 0x{Status:X4}")]
    public static partial void ClientStoreCompleted(ILogger logger, string sopInstanceUid, ushort status);

    [LoggerMessage(EventId = 1053, Level = LogLevel.Warning, Message = "SCU association failed; {Remaining} items not sent")]
    public static partial void ClientAssociationFailed(ILogger logger, int remaining, Exception exception);

    [LoggerMessage(EventId = 1054, Level = LogLevel.Warning, Message = "SCU: reading an item's data set failed; item not sent")]
    public static partial void ClientItemUnreadable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1055, Level = LogLevel.Debug, Message = "SCU association released")]
    public static partial void ClientReleased(ILogger logger);
}
