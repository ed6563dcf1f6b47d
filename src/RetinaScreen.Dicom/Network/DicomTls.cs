using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

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
        if (IsPkcs12(certificatePath))
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

    /// <summary>PKCS#12 is told from PEM by the file's extension, as operators name them.</summary>
    internal static bool IsPkcs12(string path)
    {
        var extension = Path.GetExtension(path);
        return extension.Equals(".pfx", StringComparison.OrdinalIgnoreCase) || extension.Equals(".p12", StringComparison.OrdinalIgnoreCase);
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
    private readonly ClientCertificateRevocation? _revocation;

    /// <exception cref="DicomTlsConfigurationException">A configured file cannot be used; the message names the setting.</exception>
    public DicomTlsServerContext(DicomTlsOptions options, ILogger logger, TimeProvider? clock = null)
    {
        var (certificate, chain) = LoadServerCertificate(options);
        _requireClientCertificate = options.RequireClientCertificate;
        _options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, chain, offline: true),
            EnabledSslProtocols = DicomTls.Protocols,
            // Always ask: a device's certificate identifies it even where certificates are not required.
            ClientCertificateRequired = true,
            // Online revocation (OCSP, CRL distribution points) is off: clinics run offline. ClientCrlPath is the
            // offline replacement, checked in ValidateClient.
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = ValidateClient,
        };
        if (!string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            X509Certificate2Collection anchors;
            try
            {
                anchors = DicomTls.LoadPemCertificates(options.ClientCaPath);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new DicomTlsConfigurationException(nameof(DicomTlsOptions.ClientCaPath), $"'{options.ClientCaPath}' could not be read as PEM certificates: {ex.Message}", ex);
            }

            _options.CertificateChainPolicy = DicomTls.CustomTrust(anchors);
            if (!string.IsNullOrWhiteSpace(options.ClientCrlPath))
            {
                _revocation = new ClientCertificateRevocation(options.ClientCrlPath, anchors, clock ?? TimeProvider.System, logger);
            }
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
    /// a device is then recognised by its registered thumbprint (a pin), whoever issued it. A revoked certificate is
    /// refused either way: it is no device's identity any more.
    /// </summary>
    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return !_requireClientCertificate;
        }

        if (_revocation is not null)
        {
            var client = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            if (_revocation.IsRevoked(client, chain))
            {
                return false;
            }
        }

        return errors == SslPolicyErrors.None || !_requireClientCertificate;
    }

    /// <summary>
    /// Loads the server certificate, turning the platform's terse errors into ones that name the setting to fix:
    /// a missing or wrong password is the usual mistake, and it must stop the start rather than every handshake.
    /// </summary>
    private static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadServerCertificate(DicomTlsOptions options)
    {
        var path = options.CertificatePath!;
        const string certificateSetting = nameof(DicomTlsOptions.CertificatePath);
        const string passwordSetting = nameof(DicomTlsOptions.CertificatePassword);
        if (!File.Exists(path))
        {
            throw new DicomTlsConfigurationException(certificateSetting, $"'{path}' does not exist.");
        }

        if (!string.IsNullOrWhiteSpace(options.KeyPath) && !File.Exists(options.KeyPath))
        {
            throw new DicomTlsConfigurationException(nameof(DicomTlsOptions.KeyPath), $"'{options.KeyPath}' does not exist.");
        }

        var hasPassword = !string.IsNullOrEmpty(options.CertificatePassword);
        try
        {
            return DicomTls.LoadCertificateWithKey(path, options.KeyPath, options.CertificatePassword);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var keyFile = string.IsNullOrWhiteSpace(options.KeyPath) ? path : options.KeyPath;
            if (DicomTls.IsPkcs12(path))
            {
                throw hasPassword
                    ? new DicomTlsConfigurationException(passwordSetting, $"the PKCS#12 file '{path}' could not be opened: the password is wrong, or the file is damaged ({ex.Message})", ex)
                    : new DicomTlsConfigurationException(passwordSetting, $"the PKCS#12 file '{path}' could not be opened without a password: set {passwordSetting} ({ex.Message})", ex);
            }

            var keyText = ReadSmallText(keyFile);
            if (keyText.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
            {
                throw new DicomTlsConfigurationException(nameof(DicomTlsOptions.KeyPath), $"the private key in '{keyFile}' uses OpenSSL's legacy PEM encryption, which .NET does not read: convert it to PKCS#8 ('openssl pkcs8 -topk8') and give its password in {passwordSetting}.", ex);
            }

            var encryptedKey = keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
            if (encryptedKey && !hasPassword)
            {
                throw new DicomTlsConfigurationException(passwordSetting, $"the private key in '{keyFile}' is encrypted: set {passwordSetting}.", ex);
            }

            if (encryptedKey)
            {
                throw new DicomTlsConfigurationException(passwordSetting, $"the encrypted private key in '{keyFile}' could not be decrypted: the password is wrong, or the key does not match the certificate ({ex.Message})", ex);
            }

            if (hasPassword)
            {
                throw new DicomTlsConfigurationException(passwordSetting, $"a password is set but '{keyFile}' holds no encrypted private key (PEM 'ENCRYPTED PRIVATE KEY'); remove {passwordSetting} or encrypt the key ({ex.Message})", ex);
            }

            throw new DicomTlsConfigurationException(certificateSetting, $"'{path}' (key: '{keyFile}') could not be loaded as a certificate with its private key ({ex.Message})", ex);
        }
    }

    /// <summary>A PEM file's text for diagnosis, or empty when it is unreadable or too large to be one.</summary>
    private static string ReadSmallText(string path)
    {
        try
        {
            return new FileInfo(path).Length < CertificateRevocationList.MaxFileLength ? File.ReadAllText(path) : "";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
