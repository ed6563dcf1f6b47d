using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting.Devices;
using RetinaScreen.Ingest.Devices;

namespace RetinaScreen.Ingest.Associations;

/// <summary>
/// The SCP's association policy: the configured AE titles, SOP classes and transfer syntaxes
/// (<see cref="DicomOptionsAssociationPolicy"/>) plus the registered devices. A registered AE title is only
/// accepted from its device's allowed address and while the device is enabled; an unregistered one only when
/// <see cref="IngestOptions.RequireRegisteredDevices"/> is off. Over DICOM TLS, a client certificate identifies its
/// device by SHA-256 thumbprint: an unregistered or disabled one is refused, and a device registered with a
/// certificate is refused whenever it calls without it.
/// </summary>
public sealed partial class DeviceAssociationPolicy(
    IOptions<DicomServerOptions> dicomOptions,
    IOptions<IngestOptions> ingestOptions,
    DeviceDirectory devices,
    ILogger<DeviceAssociationPolicy> logger) : IDicomAssociationPolicy
{
    private readonly DicomOptionsAssociationPolicy _configured = new(dicomOptions.Value);

    public bool IsCallingPeerAccepted(string callingAeTitle, IPEndPoint remoteEndPoint) =>
        IsCallingPeerAccepted(callingAeTitle, remoteEndPoint, security: null);

    public bool IsCallingPeerAccepted(string callingAeTitle, IPEndPoint remoteEndPoint, DicomTransportSecurity? security)
    {
        if (!_configured.IsCallingPeerAccepted(callingAeTitle, remoteEndPoint))
        {
            return false;
        }

        if (security?.ClientCertificateSha256 is { } thumbprint)
        {
            return IsCertificateAccepted(thumbprint, callingAeTitle, remoteEndPoint.Address);
        }

        var registered = devices.FindByAeTitle(callingAeTitle);
        if (registered.Count == 0)
        {
            return !ingestOptions.Value.RequireRegisteredDevices;
        }

        return devices.Match(callingAeTitle, remoteEndPoint.Address) is not null;
    }

    public DicomPresentationContextDecision NegotiatePresentationContext(string abstractSyntaxUid, IReadOnlyList<string> proposedTransferSyntaxUids) =>
        _configured.NegotiatePresentationContext(abstractSyntaxUid, proposedTransferSyntaxUids);

    /// <summary>
    /// A presented certificate is a claim of identity, so it must be a registered device's even where unregistered
    /// AE titles are allowed; it then also binds that device's AE title and address.
    /// </summary>
    private bool IsCertificateAccepted(string thumbprint, string callingAeTitle, IPAddress address)
    {
        var device = devices.FindByCertificate(thumbprint);
        if (device is null)
        {
            LogUnregisteredCertificate(logger, thumbprint);
            return false;
        }

        if (!device.Enabled
            || (device.AeTitle is not null && !string.Equals(device.AeTitle, callingAeTitle, StringComparison.Ordinal))
            || (device.AllowedAddress is not null && !AddressRange.Contains(device.AllowedAddress, address)))
        {
            LogCertificateDeviceRefused(logger, device.Id);
            return false;
        }

        return true;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "DICOM TLS client certificate {Thumbprint} is not registered to any device; association refused")]
    private static partial void LogUnregisteredCertificate(ILogger logger, string thumbprint);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Device {DeviceId} presented its certificate but is disabled, or called with another AE title or from outside its allowed address; association refused")]
    private static partial void LogCertificateDeviceRefused(ILogger logger, long deviceId);
}
