using System.Security.Cryptography.X509Certificates;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// One instance to send with <see cref="DicomClient.StoreAsync"/>. <see cref="OpenDataset"/> returns the data set bytes
/// (what follows the file meta information) already encoded in <see cref="TransferSyntaxUid"/>; the client disposes it.
/// </summary>
public sealed record DicomStoreItem(string SopClassUid, string SopInstanceUid, string TransferSyntaxUid, Func<Stream> OpenDataset)
{
    /// <summary>An item for a Part 10 file: identity from its group 0002, data set streamed from the file when sent.</summary>
    public static DicomStoreItem FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var (meta, offset) = Part10MetaReader.Read(fullPath);
        return new DicomStoreItem(meta.MediaStorageSopClassUid, meta.MediaStorageSopInstanceUid, meta.TransferSyntaxUid, () =>
        {
            var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            stream.Position = offset;
            return stream;
        });
    }
}

public enum DicomStoreOutcome
{
    /// <summary>Sent; <see cref="DicomStoreItemResult.Status"/> holds the peer's answer.</summary>
    Sent,

    /// <summary>Not sent: the peer rejected the presentation context for this SOP class and transfer syntax.</summary>
    PresentationContextRejected,

    /// <summary>Not sent: the data set could not be opened, or the association ended before this item.</summary>
    NotSent,
}

public sealed record DicomStoreItemResult(DicomStoreItem Item, DicomStoreOutcome Outcome, ushort? Status = null, string? ErrorComment = null)
{
    public bool IsSuccess => Outcome == DicomStoreOutcome.Sent && Status is { } status && DicomStatus.IsSuccessOrWarning(status);
}

/// <summary>SCU timeouts and limits.</summary>
public sealed record DicomClientOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for A-ASSOCIATE-AC/RJ and A-RELEASE-RP.</summary>
    public TimeSpan AssociationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one network write or the wait for a DIMSE response may take.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Maximum PDU length we announce and accept.</summary>
    public int MaxPduLength { get; init; } = 64 * 1024;

    /// <summary>Cap on the PDUs we send, whatever the peer allows (0 from the peer means unlimited).</summary>
    public int MaxSendPduLength { get; init; } = 256 * 1024;

    /// <summary>Connect over TLS (PS3.15 B.9) when set; plain TCP when null.</summary>
    public DicomClientTlsOptions? Tls { get; init; }
}

/// <summary>SCU side of DICOM TLS: TLS 1.2/1.3, the server verified against <see cref="TrustAnchors"/>.</summary>
public sealed record DicomClientTlsOptions
{
    /// <summary>Our certificate with its private key, for servers that authenticate devices; null sends none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Trust anchors for the server's certificate; null uses the system's trusted roots.</summary>
    public X509Certificate2Collection? TrustAnchors { get; init; }

    /// <summary>Name the server certificate must carry; null uses the host connected to.</summary>
    public string? TargetHost { get; init; }
}
