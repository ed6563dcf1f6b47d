using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// Offline revocation of device certificates: the CRLs of <see cref="DicomTlsOptions.ClientCrlPath"/>, each verified
/// against a trust anchor of <see cref="DicomTlsOptions.ClientCaPath"/>, consulted on every TLS handshake. The file is
/// looked at (one stat) at most every <see cref="DefaultCheckInterval"/> and re-read when its last-write time or length
/// changed, so an administrator can drop in a new CRL without a restart.
/// </summary>
internal sealed class ClientCertificateRevocation
{
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(5);

    private readonly string _path;
    private readonly X509Certificate2Collection _anchors;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly TimeSpan _checkInterval;
    private readonly Lock _gate = new();
    private volatile Loaded _current;
    private long _nextCheckTicks;
    private FileStamp? _refusedStamp;

    /// <exception cref="DicomTlsConfigurationException">The file is missing, unreadable, or holds a CRL that does not verify.</exception>
    public ClientCertificateRevocation(string path, X509Certificate2Collection anchors, TimeProvider clock, ILogger logger, TimeSpan? checkInterval = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(anchors);
        _path = path;
        _anchors = anchors;
        _clock = clock;
        _logger = logger;
        _checkInterval = checkInterval ?? DefaultCheckInterval;
        var stamp = FileStamp.Of(path);
        if (!stamp.Exists)
        {
            throw new DicomTlsConfigurationException(nameof(DicomTlsOptions.ClientCrlPath), $"'{path}' does not exist.");
        }

        _current = Load(stamp);
        NetworkLog.CrlLoaded(_logger, _path, _current.Crls.Count, _current.RevokedCount);
        WarnStale(_current, _clock.GetUtcNow());
        _nextCheckTicks = (_clock.GetUtcNow() + _checkInterval).UtcTicks;
    }

    /// <summary>The CRLs in force now (for tests and diagnostics).</summary>
    internal IReadOnlyList<CertificateRevocationList> Crls => _current.Crls;

    /// <summary>
    /// Whether the certificate, or a certificate of its chain, is listed in its issuer's CRL. A listed certificate is
    /// logged with its SHA-256 thumbprint and serial number.
    /// </summary>
    public bool IsRevoked(X509Certificate2 certificate, X509Chain? chain = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        RefreshIfDue();
        var current = _current;
        if (IsListed(current, certificate))
        {
            NetworkLog.TlsClientCertificateRevoked(_logger, DicomTls.Sha256Thumbprint(certificate), certificate.SerialNumber);
            return true;
        }

        // An intermediate the device sent along may itself be revoked by the anchor that issued it.
        if (chain is null)
        {
            return false;
        }

        foreach (var element in chain.ChainElements)
        {
            if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span) && IsListed(current, element.Certificate))
            {
                NetworkLog.TlsClientCertificateRevoked(_logger, DicomTls.Sha256Thumbprint(element.Certificate), element.Certificate.SerialNumber);
                return true;
            }
        }

        return false;
    }

    private static bool IsListed(Loaded current, X509Certificate2 certificate) =>
        current.ByIssuer.TryGetValue(Convert.ToHexString(certificate.IssuerName.RawData), out var crls)
        && crls.Any(crl => crl.IsRevoked(certificate.SerialNumberBytes.Span));

    /// <summary>
    /// At most one stat per interval, under a lock so that concurrent handshakes do not all re-read a changed file.
    /// A replacement that does not load (half copied, wrong signer) is logged and the CRLs in force are kept: an
    /// administrator's mistake must neither open the gate to every revoked device nor close it to every camera.
    /// </summary>
    private void RefreshIfDue()
    {
        var now = _clock.GetUtcNow();
        if (now.UtcTicks < Volatile.Read(ref _nextCheckTicks))
        {
            return;
        }

        lock (_gate)
        {
            if (now.UtcTicks < _nextCheckTicks)
            {
                return;
            }

            _nextCheckTicks = (now + _checkInterval).UtcTicks;
            var stamp = FileStamp.Of(_path);
            if (stamp != _current.Stamp && stamp != _refusedStamp)
            {
                try
                {
                    if (!stamp.Exists)
                    {
                        throw new DicomTlsConfigurationException(nameof(DicomTlsOptions.ClientCrlPath), $"'{_path}' does not exist.");
                    }

                    _current = Load(stamp);
                    NetworkLog.CrlLoaded(_logger, _path, _current.Crls.Count, _current.RevokedCount);
                }
                catch (DicomTlsConfigurationException ex)
                {
                    _refusedStamp = stamp;
                    NetworkLog.CrlReloadFailed(_logger, _path, ex.Detail);
                }
            }

            WarnStale(_current, now);
        }
    }

    /// <summary>
    /// A CRL past its nextUpdate is still applied: refusing every camera because the CA's next CRL has not been
    /// copied over yet would stop screening, while the stale list still names every certificate revoked until it was
    /// issued. The lapse is logged as a warning once per load so that someone fetches a new CRL.
    /// </summary>
    private void WarnStale(Loaded current, DateTimeOffset now)
    {
        foreach (var crl in current.Crls)
        {
            if (crl.NextUpdate is { } next && next < now && current.StaleWarned.Add(crl))
            {
                NetworkLog.CrlStale(_logger, _path, crl.Issuer.Name, next);
            }
        }
    }

    private Loaded Load(FileStamp stamp)
    {
        IReadOnlyList<CertificateRevocationList> crls;
        try
        {
            crls = CertificateRevocationList.LoadFile(_path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new DicomTlsConfigurationException(nameof(DicomTlsOptions.ClientCrlPath), $"'{_path}' could not be read as CRLs: {ex.Message}", ex);
        }

        for (var i = 0; i < crls.Count; i++)
        {
            var crl = crls[i];
            var issuers = _anchors.Where(a => a.SubjectName.RawData.AsSpan().SequenceEqual(crl.IssuerName)).ToArray();
            if (issuers.Length == 0)
            {
                throw new DicomTlsConfigurationException(
                    nameof(DicomTlsOptions.ClientCrlPath),
                    $"CRL {i + 1} of '{_path}' is not issued by any trust anchor of {nameof(DicomTlsOptions.ClientCaPath)}.");
            }

            if (!issuers.Any(crl.IsSignedBy))
            {
                throw new DicomTlsConfigurationException(
                    nameof(DicomTlsOptions.ClientCrlPath),
                    $"the signature of CRL {i + 1} of '{_path}' does not verify against its issuer's certificate in {nameof(DicomTlsOptions.ClientCaPath)}.");
            }
        }

        var byIssuer = crls.GroupBy(c => Convert.ToHexString(c.IssuerName), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        return new Loaded(stamp, crls, byIssuer);
    }

    private sealed record Loaded(FileStamp Stamp, IReadOnlyList<CertificateRevocationList> Crls, IReadOnlyDictionary<string, CertificateRevocationList[]> ByIssuer)
    {
        public int RevokedCount { get; } = Crls.Sum(c => c.RevokedCount);

        public HashSet<CertificateRevocationList> StaleWarned { get; } = [];
    }

    private readonly record struct FileStamp(bool Exists, DateTime LastWriteUtc, long Length)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(true, info.LastWriteTimeUtc, info.Length) : default;
        }
    }
}
