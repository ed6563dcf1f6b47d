using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RetinaScreen.Dicom.Network;

/// <summary>What the TLS handshake of an association's connection established; null for plain TCP.</summary>
/// <param name="Protocol">The negotiated TLS version.</param>
/// <param name="ClientCertificate">The certificate the peer proved it holds the key of, or null when it sent none.</param>
public sealed record DicomTransportSecurity(SslProtocols Protocol, X509Certificate2? ClientCertificate)
{
    /// <summary>Lower-case hex SHA-256 of the client certificate's DER encoding, or null without one.</summary>
    public string? ClientCertificateSha256 { get; } = ClientCertificate is null ? null : DicomTls.Sha256Thumbprint(ClientCertificate);
}

/// <summary>
/// TLS settings shared by the SCP and SCU: TLS 1.2 and 1.3 only (BCP 195), cipher suites left to the operating
/// system's policy, which already follows BCP 195 for these versions.
/// </summary>
public static class DicomTls
{
    internal const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Lower-case hex SHA-256 of a certificate's DER encoding: how a device certificate is registered.</summary>
    public static string Sha256Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }

    /// <summary>
    /// Loads a certificate with its private key: PKCS#12 by extension (<c>.pfx</c>, <c>.p12</c>), otherwise PEM with
    /// the key in <paramref name="keyPath"/> or, when that is null, in the same file. Further certificates in a PEM
    /// file are returned as the chain to send.
    /// </summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadCertificateWithKey(string certificatePath, string? keyPath, string? password)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        var extension = Path.GetExtension(certificatePath);
        if (extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase))
        {
            var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(certificatePath, password);
            var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
                ?? throw new CryptographicException("The PKCS#12 file holds no certificate with a private key.");
            var chain = new X509Certificate2Collection(all.Where(c => !ReferenceEquals(c, leaf)).ToArray());
            return (leaf, chain);
        }

        var pem = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
        var rest = new X509Certificate2Collection();
        rest.ImportFromPemFile(certificatePath);
        var intermediates = new X509Certificate2Collection(rest.Where(c => !c.RawDataMemory.Span.SequenceEqual(pem.RawDataMemory.Span)).ToArray());
        return (WithPersistableKey(pem), intermediates);
    }

    /// <summary>Every certificate in a PEM file (trust anchors).</summary>
    public static X509Certificate2Collection LoadPemCertificates(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        if (certificates.Count == 0)
        {
            throw new CryptographicException($"No certificate in {path}.");
        }

        return certificates;
    }

    /// <summary>Client-side handshake settings: the server is verified against <paramref name="trustAnchors"/> (or the system roots when null).</summary>
    public static SslClientAuthenticationOptions ClientOptions(string targetHost, X509Certificate2? clientCertificate, X509Certificate2Collection? trustAnchors)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (clientCertificate is not null)
        {
            options.ClientCertificates = [clientCertificate];
            options.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        if (trustAnchors is not null)
        {
            options.CertificateChainPolicy = CustomTrust(trustAnchors);
        }

        return options;
    }

    internal static X509ChainPolicy CustomTrust(X509Certificate2Collection anchors)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(anchors);
        return policy;
    }

    /// <summary>Some platforms cannot use an ephemeral PEM key in a TLS handshake; a PKCS#12 round trip gives it a usable key.</summary>
    internal static X509Certificate2 WithPersistableKey(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
        }
    }
}

/// <summary>The SCP's TLS configuration, loaded once when the server starts.</summary>
internal sealed class DicomTlsServerContext
{
    private readonly SslServerAuthenticationOptions _options;
    private readonly bool _requireClientCertificate;

    public DicomTlsServerContext(DicomTlsOptions options)
    {
        var (certificate, chain) = DicomTls.LoadCertificateWithKey(options.CertificatePath!, options.KeyPath, options.CertificatePassword);
        _requireClientCertificate = options.RequireClientCertificate;
        _options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, chain, offline: true),
            EnabledSslProtocols = DicomTls.Protocols,
            // Always ask: a device's certificate identifies it even where certificates are not required.
            ClientCertificateRequired = true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = ValidateClient,
        };
        if (!string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            _options.CertificateChainPolicy = DicomTls.CustomTrust(DicomTls.LoadPemCertificates(options.ClientCaPath));
        }

        HandshakeTimeout = options.HandshakeTimeout;
    }

    public TimeSpan HandshakeTimeout { get; }

    /// <summary>Runs the server handshake on an accepted connection; the caller owns the returned stream.</summary>
    public async Task<(SslStream Stream, DicomTransportSecurity Security)> AuthenticateAsync(Stream connection, CancellationToken stopping)
    {
        var tls = new SslStream(connection, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(HandshakeTimeout);
            await tls.AuthenticateAsServerAsync(_options, timeout.Token);
            var client = tls.RemoteCertificate is null ? null : tls.RemoteCertificate as X509Certificate2 ?? new X509Certificate2(tls.RemoteCertificate);
            return (tls, new DicomTransportSecurity(tls.SslProtocol, client));
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Without a required certificate, any certificate the client proves it holds is let through the handshake:
    /// a device is then recognised by its registered thumbprint (a pin), whoever issued it.
    /// </summary>
    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return !_requireClientCertificate;
        }

        return errors == SslPolicyErrors.None || !_requireClientCertificate;
    }
}
