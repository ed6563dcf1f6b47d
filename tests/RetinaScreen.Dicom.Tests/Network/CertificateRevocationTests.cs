using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Dicom.Tests.Network;

/// <summary>Offline CRLs for DICOM TLS device certificates (issue 4): parsing, signature checks, reload and staleness.</summary>
public sealed class CertificateRevocationTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("Clinic device CA");
    private readonly RecordingLogger<DicomServer> _log = new();

    [Fact]
    public void REQ_NET_13_A_listed_serial_is_revoked_and_an_unlisted_one_from_the_same_CA_is_not()
    {
        using var revoked = TestCertificates.Issue(_ca, "Camera 1");
        using var good = TestCertificates.Issue(_ca, "Camera 2");
        var path = Write("crl.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [revoked])));

        var revocation = Checker(path, _ca);

        Assert.True(revocation.IsRevoked(revoked));
        Assert.False(revocation.IsRevoked(good));
        // The refusal is logged with the thumbprint and serial, nothing else about the device.
        var entry = Assert.Single(_log.Entries, e => e.EventId == 1023);
        Assert.Contains(DicomTls.Sha256Thumbprint(revoked), entry.Message, StringComparison.Ordinal);
        Assert.Contains(revoked.SerialNumber, entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Camera 1", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_NET_13_A_DER_CRL_signed_with_ECDSA_is_read()
    {
        using var ecCa = TestCertificates.CreateCa("EC device CA", ecdsa: true);
        using var revoked = TestCertificates.Issue(ecCa, "Camera 3");
        using var good = TestCertificates.Issue(ecCa, "Camera 4");
        var path = Path.Combine(_folder.Path, "crl.der");
        File.WriteAllBytes(path, TestCertificates.Crl(ecCa, [revoked]));

        var revocation = Checker(path, ecCa);

        Assert.True(revocation.IsRevoked(revoked));
        Assert.False(revocation.IsRevoked(good));
    }

    [Fact]
    public void REQ_NET_13_An_RSA_PSS_signed_CRL_is_read()
    {
        using var revoked = TestCertificates.Issue(_ca, "Camera 5");
        var path = Write("pss.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [revoked], padding: RSASignaturePadding.Pss)));

        Assert.True(Checker(path, _ca).IsRevoked(revoked));
    }

    [Fact]
    public void REQ_NET_13_Several_CRLs_in_one_file_each_apply_to_their_own_issuer_only()
    {
        using var otherCa = TestCertificates.CreateCa("Second site CA", ecdsa: true);
        var serial = TestCertificates.RandomSerial();
        using var revokedHere = TestCertificates.Issue(_ca, "Camera 6", serial: serial);
        // The same serial number from another CA is another certificate.
        using var sameSerialElsewhere = TestCertificates.Issue(otherCa, "Camera 7", serial: serial);
        using var revokedThere = TestCertificates.Issue(otherCa, "Camera 8");
        var path = Write("both.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [revokedHere]), TestCertificates.Crl(otherCa, [revokedThere])));

        var revocation = Checker(path, _ca, otherCa);

        Assert.Equal(2, revocation.Crls.Count);
        Assert.True(revocation.IsRevoked(revokedHere));
        Assert.True(revocation.IsRevoked(revokedThere));
        Assert.False(revocation.IsRevoked(sameSerialElsewhere));
    }

    [Fact]
    public void REQ_NET_13_A_CRL_that_claims_the_CA_but_was_signed_by_another_key_is_refused_naming_the_file()
    {
        using var impostorKey = RSA.Create(2048);
        var builder = new CertificateRevocationListBuilder();
        using var device = TestCertificates.Issue(_ca, "Camera 9");
        builder.AddEntry(device);
        var forged = builder.Build(_ca.SubjectName, X509SignatureGenerator.CreateForRSA(impostorKey, RSASignaturePadding.Pkcs1), 1,
            DateTimeOffset.UtcNow.AddDays(1), HashAlgorithmName.SHA256, X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false),
            DateTimeOffset.UtcNow.AddMinutes(-1));
        var pem = TestCertificates.Pem(forged);
        var path = Write("forged.pem", pem);

        var error = Assert.Throws<DicomTlsConfigurationException>(() => Checker(path, _ca));

        Assert.Equal(nameof(DicomTlsOptions.ClientCrlPath), error.Setting);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(pem.Split('\n')[1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_NET_13_A_CRL_of_an_issuer_that_is_no_trust_anchor_is_refused()
    {
        using var stranger = TestCertificates.CreateCa("Stranger CA");
        var path = Write("stranger.pem", TestCertificates.Pem(TestCertificates.Crl(stranger, [])));

        var error = Assert.Throws<DicomTlsConfigurationException>(() => Checker(path, _ca));

        Assert.Contains("not issued by any trust anchor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_NET_13_A_CA_whose_key_usage_excludes_CRL_signing_cannot_vouch_for_a_CRL()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Certificates only CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var signer = request.CreateSelfSigned(TestCertificates.NotBefore, TestCertificates.NotAfter);
        var crl = TestCertificates.Crl(signer, []);
        // The anchor as configured says it signs certificates only.
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var anchor = X509CertificateLoader.LoadCertificate(request.CreateSelfSigned(TestCertificates.NotBefore, TestCertificates.NotAfter).RawData);

        var error = Assert.Throws<DicomTlsConfigurationException>(() => Checker(Write("ku.pem", TestCertificates.Pem(crl)), anchor));

        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage", "neither a DER-encoded CRL nor PEM")]
    [InlineData("empty", "empty")]
    [InlineData("certificate", "only 'X509 CRL' blocks")]
    [InlineData("truncated-der", "not a DER-encoded X.509 CRL")]
    [InlineData("missing", "does not exist")]
    public void REQ_NET_13_A_file_that_is_not_CRLs_is_refused_with_a_clear_error(string kind, string expected)
    {
        var path = Path.Combine(_folder.Path, kind);
        switch (kind)
        {
            case "garbage":
                File.WriteAllText(path, "this is not a certificate revocation list\n");
                break;
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "certificate":
                File.WriteAllText(path, TestCertificates.CertificatePem(_ca));
                break;
            case "truncated-der":
                File.WriteAllBytes(path, TestCertificates.Crl(_ca, [])[..40]);
                break;
        }

        var error = Assert.Throws<DicomTlsConfigurationException>(() => Checker(path, _ca));

        Assert.Equal(nameof(DicomTlsOptions.ClientCrlPath), error.Setting);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_NET_13_A_CRL_file_over_16_MiB_is_refused_unread()
    {
        var path = Path.Combine(_folder.Path, "huge.pem");
        using (var file = File.Create(path))
        {
            file.SetLength(CertificateRevocationList.MaxFileLength + 1L);
        }

        var error = Assert.Throws<DicomTlsConfigurationException>(() => Checker(path, _ca));

        Assert.Contains("larger than 16 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_NET_13_A_replaced_CRL_file_is_applied_after_the_check_interval_without_a_restart()
    {
        using var first = TestCertificates.Issue(_ca, "Camera 10");
        using var second = TestCertificates.Issue(_ca, "Camera 11");
        var path = Write("crl.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [first])));
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var revocation = new ClientCertificateRevocation(path, [_ca], clock, _log, TimeSpan.FromSeconds(5));
        Assert.False(revocation.IsRevoked(second));

        Replace(path, TestCertificates.Pem(TestCertificates.Crl(_ca, [first, second], number: 2)));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(revocation.IsRevoked(second));

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(revocation.IsRevoked(second));
        Assert.True(revocation.IsRevoked(first));
        Assert.Equal(2, _log.Count(1024));
    }

    [Fact]
    public void REQ_NET_13_A_replacement_that_does_not_verify_keeps_the_CRLs_in_force_and_is_logged()
    {
        using var revoked = TestCertificates.Issue(_ca, "Camera 12");
        var path = Write("crl.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [revoked])));
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var revocation = new ClientCertificateRevocation(path, [_ca], clock, _log, TimeSpan.FromSeconds(5));

        Replace(path, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
        clock.Advance(TimeSpan.FromSeconds(6));

        Assert.True(revocation.IsRevoked(revoked));
        var failure = Assert.Single(_log.Entries, e => e.EventId == 1025);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Contains(path, failure.Message, StringComparison.Ordinal);
        // Logged once per bad file, not on every check.
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(revocation.IsRevoked(revoked));
        Assert.Equal(1, _log.Count(1025));
    }

    [Fact]
    public void REQ_NET_13_A_CRL_past_its_next_update_is_still_applied_and_warned_about_once_per_load()
    {
        using var revoked = TestCertificates.Issue(_ca, "Camera 13");
        var now = DateTimeOffset.UtcNow;
        var path = Write("stale.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [revoked], nextUpdate: now.AddHours(-1), thisUpdate: now.AddDays(-8))));
        var clock = new ManualClock(now);

        var revocation = new ClientCertificateRevocation(path, [_ca], clock, _log, TimeSpan.FromSeconds(5));

        Assert.True(revocation.IsRevoked(revoked));
        var warning = Assert.Single(_log.Entries, e => e.EventId == 1026);
        Assert.Equal(LogLevel.Warning, warning.Level);
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(revocation.IsRevoked(revoked));
        Assert.Equal(1, _log.Count(1026));

        // A CRL that lapses while loaded is warned about when it does.
        var fresh = Write("fresh.pem", TestCertificates.Pem(TestCertificates.Crl(_ca, [revoked], nextUpdate: now.AddMinutes(1))));
        var lapsing = new ClientCertificateRevocation(fresh, [_ca], clock, _log, TimeSpan.FromSeconds(5));
        Assert.Equal(1, _log.Count(1026));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(lapsing.IsRevoked(revoked));
        Assert.Equal(2, _log.Count(1026));
    }

    [Fact]
    public void REQ_NET_13_ClientCrlPath_without_ClientCaPath_is_refused_at_start()
    {
        var options = new DicomServerOptions
        {
            Port = 0,
            TempDirectory = _folder.Sub("incoming"),
            Tls = new DicomTlsOptions { Port = 0, CertificatePath = "server.pem", ClientCrlPath = "crl.pem" },
        };

        var error = Assert.Throws<DicomTlsConfigurationException>(() => new DicomServer(options, new RecordingStoreHandler(_folder.Sub("kept"))));

        Assert.Equal(nameof(DicomTlsOptions.ClientCrlPath), error.Setting);
        Assert.Contains(nameof(DicomTlsOptions.ClientCaPath), error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _folder.Dispose();
    }

    private ClientCertificateRevocation Checker(string path, params X509Certificate2[] anchors) =>
        new(path, [.. anchors], TimeProvider.System, _log);

    private string Write(string name, string contents)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>As an administrator would: a new file moved over the old one, with a later modification time.</summary>
    private static void Replace(string path, string contents)
    {
        var next = path + ".new";
        File.WriteAllText(next, contents);
        File.SetLastWriteTimeUtc(next, File.GetLastWriteTimeUtc(path).AddSeconds(2));
        File.Move(next, path, overwrite: true);
    }
}
