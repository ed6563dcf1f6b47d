using System.Collections.Concurrent;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace RetinaScreen.Dicom.Tests.Network;

/// <summary>Certificates and CRLs made for a test: CAs (RSA or ECDSA), leaf certificates with their keys, CRLs.</summary>
internal static class TestCertificates
{
    public static readonly DateTimeOffset NotBefore = DateTimeOffset.UtcNow.AddHours(-1);
    public static readonly DateTimeOffset NotAfter = NotBefore.AddDays(2);

    public static X509Certificate2 CreateCa(string commonName, bool ecdsa = false)
    {
        CertificateRequest request;
        if (ecdsa)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
            return SelfSignedCa(request);
        }

        using (var key = RSA.Create(2048))
        {
            request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return SelfSignedCa(request);
        }
    }

    private static X509Certificate2 SelfSignedCa(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(NotBefore, NotAfter);
    }

    /// <summary>A leaf certificate with its (ECDSA P-256) private key; a server certificate names 127.0.0.1 and localhost.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string commonName, bool server = false, byte[]? serial = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        // The CA's key may be RSA or ECDSA whatever the leaf's is.
        using var caRsa = ca.GetRSAPrivateKey();
        using var caEcdsa = ca.GetECDsaPrivateKey();
        var generator = caRsa is not null
            ? X509SignatureGenerator.CreateForRSA(caRsa, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa(caEcdsa!);
        using var certificate = request.Create(ca.SubjectName, generator, NotBefore, NotAfter, serial ?? RandomSerial());
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>A positive 16-byte serial number.</summary>
    public static byte[] RandomSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return serial;
    }

    /// <summary>A DER CRL of <paramref name="ca"/> listing <paramref name="revoked"/>.</summary>
    public static byte[] Crl(X509Certificate2 ca, IEnumerable<X509Certificate2> revoked, DateTimeOffset? nextUpdate = null, DateTimeOffset? thisUpdate = null, RSASignaturePadding? padding = null, int number = 1)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-5), X509RevocationReason.KeyCompromise);
        }

        var rsa = ca.GetRSAPublicKey();
        rsa?.Dispose();
        return builder.Build(ca, new BigInteger(number), nextUpdate ?? DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256,
            rsa is null ? null : padding ?? RSASignaturePadding.Pkcs1, thisUpdate ?? DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    public static string Pem(params byte[][] crls) => string.Join("\n", crls.Select(c => PemEncoding.WriteString("X509 CRL", c))) + "\n";

    public static string CertificatePem(params X509Certificate2[] certificates) => string.Join("\n", certificates.Select(c => c.ExportCertificatePem())) + "\n";

    public static string PrivateKeyPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return key.ExportPkcs8PrivateKeyPem();
    }
}

/// <summary>A time that moves only when the test moves it.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>Keeps every formatted log message with its event id.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(int EventId, LogLevel Level, string Message)> Entries => [.. _entries];

    public int Count(int eventId) => _entries.Count(e => e.EventId == eventId);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
}
