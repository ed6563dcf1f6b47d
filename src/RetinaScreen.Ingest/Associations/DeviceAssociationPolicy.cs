using System.Net;
using Microsoft.Extensions.Options;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Ingest.Devices;

namespace RetinaScreen.Ingest.Associations;

/// <summary>
/// The SCP's association policy: the configured AE titles, SOP classes and transfer syntaxes
/// (<see cref="DicomOptionsAssociationPolicy"/>) plus the registered devices. A registered AE title is only
/// accepted from its device's allowed address and while the device is enabled; an unregistered one only when
/// <see cref="IngestOptions.RequireRegisteredDevices"/> is off.
/// </summary>
public sealed class DeviceAssociationPolicy(
    IOptions<DicomServerOptions> dicomOptions,
    IOptions<IngestOptions> ingestOptions,
    DeviceDirectory devices) : IDicomAssociationPolicy
{
    private readonly DicomOptionsAssociationPolicy _configured = new(dicomOptions.Value);

    public bool IsCallingPeerAccepted(string callingAeTitle, IPEndPoint remoteEndPoint)
    {
        if (!_configured.IsCallingPeerAccepted(callingAeTitle, remoteEndPoint))
        {
            return false;
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
}
