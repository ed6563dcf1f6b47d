namespace RetinaScreen.Dicom.Network;

/// <summary>
/// The DICOM TLS listener (PS3.15 B.9, BCP 195 TLS Secure Transport Connection Profile), bindable from
/// <c>RetinaScreen:Dicom:Tls</c>. There is no built-in certificate or password: the listener is off until
/// <see cref="CertificatePath"/> names one.
/// </summary>
public sealed record DicomTlsOptions
{
    /// <summary>The IANA port for DICOM over TLS ("dicom-tls").</summary>
    public const int DefaultPort = 2762;

    /// <summary>TCP port of the TLS listener; 0 picks an ephemeral port, reported by <see cref="DicomServer.BoundTlsPort"/>.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>
    /// Server certificate: a PEM file holding the certificate (then any intermediates) and, unless
    /// <see cref="KeyPath"/> is set, the private key; or a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>).
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key, when it is not in <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of a PKCS#12 file or an encrypted PEM key; give it from a secret store or the environment.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>When true, a peer that presents no certificate, or one that does not chain to a trust anchor, fails the handshake.</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>PEM file of the trust anchors for device certificates; null uses the system's trusted roots.</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>
    /// Certificate revocation lists for device certificates, checked offline (clinics have no path to OCSP responders or
    /// CRL distribution points): a file of PEM <c>X509 CRL</c> blocks or one DER CRL, each signed by a trust anchor of
    /// <see cref="ClientCaPath"/>. A client certificate listed in its issuer's CRL fails the handshake whether or not
    /// <see cref="RequireClientCertificate"/> is set. The file is re-read when it changes, without a restart.
    /// </summary>
    public string? ClientCrlPath { get; set; }

    /// <summary>How long a new connection may take to complete the TLS handshake, so a silent client cannot hold a connection.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when a certificate is configured; only then is the TLS port opened.</summary>
    public bool IsEnabled => !string.IsNullOrWhiteSpace(CertificatePath);

    internal void Validate()
    {
        if (!IsEnabled)
        {
            return;
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "TLS port must be 0-65535.");
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("The TLS handshake timeout must be positive.", nameof(HandshakeTimeout));
        }

        // A CRL is only believed when one of our own trust anchors signed it; the system roots are not asked to vouch.
        if (!string.IsNullOrWhiteSpace(ClientCrlPath) && string.IsNullOrWhiteSpace(ClientCaPath))
        {
            throw new DicomTlsConfigurationException(nameof(ClientCrlPath), $"needs {nameof(ClientCaPath)}: a CRL must be signed by one of the configured client trust anchors.");
        }
    }
}
