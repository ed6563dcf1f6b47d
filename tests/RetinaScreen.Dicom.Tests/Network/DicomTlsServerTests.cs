using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Dicom.Tests.Network;

/// <summary>
/// The SCP's TLS port with the certificate forms an administrator is given (password-protected PKCS#12, encrypted
/// PKCS#8 PEM key) and with offline CRLs, each through a real TLS handshake and C-ECHO over loopback.
/// </summary>
public sealed class DicomTlsServerTests : IDisposable
{
    private const string Password = "correct horse battery staple";
    private readonly TempFolder _folder = new();
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("TLS test CA");
    private readonly X509Certificate2 _server;
    private readonly RecordingLogger<DicomServer> _log = new();

    public DicomTlsServerTests()
    {
        _server = TestCertificates.Issue(_ca, "localhost", server: true);
        File.WriteAllText(Path.Combine(_folder.Path, "ca.pem"), TestCertificates.CertificatePem(_ca));
    }

    private string CaPath => Path.Combine(_folder.Path, "ca.pem");

    [Theory]
    [InlineData("server.pfx")]
    [InlineData("server.p12")]
    public async Task REQ_NET_12_A_password_protected_PKCS12_serves_a_TLS_association(string name)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllBytes(path, _server.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000), Password));

        await using var server = await StartAsync(tls => { tls.CertificatePath = path; tls.CertificatePassword = Password; });

        Assert.Equal(DicomStatus.Success, await EchoAsync(server, clientCertificate: null));
    }

    [Fact]
    public async Task REQ_NET_12_An_encrypted_PKCS8_PEM_key_serves_a_TLS_association()
    {
        var certificatePath = Path.Combine(_folder.Path, "server.pem");
        var keyPath = Path.Combine(_folder.Path, "server.key");
        File.WriteAllText(certificatePath, TestCertificates.CertificatePem(_server, _ca));
        File.WriteAllText(keyPath, EncryptedKeyPem(_server));

        await using var server = await StartAsync(tls => { tls.CertificatePath = certificatePath; tls.KeyPath = keyPath; tls.CertificatePassword = Password; });

        Assert.Equal(DicomStatus.Success, await EchoAsync(server, clientCertificate: null));
    }

    [Fact]
    public async Task REQ_NET_12_An_encrypted_PEM_key_in_the_certificate_file_serves_a_TLS_association()
    {
        var path = Path.Combine(_folder.Path, "combined.pem");
        File.WriteAllText(path, TestCertificates.CertificatePem(_server) + EncryptedKeyPem(_server));

        await using var server = await StartAsync(tls => { tls.CertificatePath = path; tls.CertificatePassword = Password; });

        Assert.Equal(DicomStatus.Success, await EchoAsync(server, clientCertificate: null));
    }

    [Theory]
    [InlineData("server.pfx", "wrong password", "password is wrong")]
    [InlineData("server.pfx", null, "without a password")]
    [InlineData("server.pem", "wrong password", "could not be decrypted")]
    [InlineData("server.pem", null, "is encrypted")]
    public async Task REQ_NET_12_A_wrong_or_missing_password_fails_the_start_naming_the_setting(string name, string? password, string expected)
    {
        var path = Path.Combine(_folder.Path, name);
        if (name.EndsWith(".pfx", StringComparison.Ordinal))
        {
            File.WriteAllBytes(path, _server.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000), Password));
        }
        else
        {
            File.WriteAllText(path, TestCertificates.CertificatePem(_server) + EncryptedKeyPem(_server));
        }

        var server = new DicomServer(Options(tls => { tls.CertificatePath = path; tls.CertificatePassword = password; }), new RecordingStoreHandler(_folder.Sub("kept")));
        await using (server)
        {
            var error = await Assert.ThrowsAsync<DicomTlsConfigurationException>(() => server.StartAsync());

            Assert.Equal(nameof(DicomTlsOptions.CertificatePassword), error.Setting);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
            // Neither port was opened: no plain-only server is left behind.
            Assert.Equal(0, server.BoundPort);
            Assert.Equal(0, server.BoundTlsPort);
        }
    }

    [Fact]
    public async Task REQ_NET_12_A_missing_certificate_file_fails_the_start_naming_the_setting()
    {
        var path = Path.Combine(_folder.Path, "absent.pem");
        await using var server = new DicomServer(Options(tls => tls.CertificatePath = path), new RecordingStoreHandler(_folder.Sub("kept")));

        var error = await Assert.ThrowsAsync<DicomTlsConfigurationException>(() => server.StartAsync());

        Assert.Equal(nameof(DicomTlsOptions.CertificatePath), error.Setting);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task REQ_NET_13_A_revoked_device_certificate_fails_the_handshake_even_where_certificates_are_optional()
    {
        using var revoked = TestCertificates.Issue(_ca, "Revoked camera");
        using var good = TestCertificates.Issue(_ca, "Good camera");
        var crlPath = Path.Combine(_folder.Path, "crl.pem");
        File.WriteAllText(crlPath, TestCertificates.Pem(TestCertificates.Crl(_ca, [revoked])));
        var serverPath = Path.Combine(_folder.Path, "server.pem");
        File.WriteAllText(serverPath, TestCertificates.CertificatePem(_server) + TestCertificates.PrivateKeyPem(_server));

        await using var server = await StartAsync(tls =>
        {
            tls.CertificatePath = serverPath;
            tls.ClientCaPath = CaPath;
            tls.ClientCrlPath = crlPath;
            tls.RequireClientCertificate = false;
        });

        Assert.Equal(DicomStatus.Success, await EchoAsync(server, good));
        Assert.Equal(DicomStatus.Success, await EchoAsync(server, clientCertificate: null));
        var refused = await Record.ExceptionAsync(() => EchoAsync(server, revoked));
        Assert.NotNull(refused);
        // Refused in the handshake: no association was ever negotiated.
        Assert.IsNotType<DicomAssociationRejectedException>(refused);
        await AssociationNegotiationTests.WaitUntilAsync(() => _log.Count(1021) == 1);
        Assert.Equal(1, _log.Count(1023));
        Assert.Contains(DicomTls.Sha256Thumbprint(revoked), Assert.Single(_log.Entries, e => e.EventId == 1023).Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _server.Dispose();
        _ca.Dispose();
        _folder.Dispose();
    }

    private static string EncryptedKeyPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return key.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));
    }

    private DicomServerOptions Options(Action<DicomTlsOptions> configure)
    {
        var tls = new DicomTlsOptions { Port = 0, HandshakeTimeout = TimeSpan.FromSeconds(5) };
        configure(tls);
        return new DicomServerOptions
        {
            Port = 0,
            BindAddress = "127.0.0.1",
            AeTitle = "RETINASCREEN",
            TempDirectory = _folder.Sub("incoming"),
            FlushTempFileToDisk = false,
            Tls = tls,
        };
    }

    private async Task<DicomServer> StartAsync(Action<DicomTlsOptions> configure)
    {
        var server = new DicomServer(Options(configure), new RecordingStoreHandler(_folder.Sub("kept")), logger: _log);
        await server.StartAsync();
        return server;
    }

    private async Task<ushort> EchoAsync(DicomServer server, X509Certificate2? clientCertificate)
    {
        var client = new DicomClient(new DicomClientOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AssociationTimeout = TimeSpan.FromSeconds(10),
            Tls = new DicomClientTlsOptions { ClientCertificate = clientCertificate, TrustAnchors = [_ca], TargetHost = "localhost" },
        });
        return await client.EchoAsync("127.0.0.1", server.BoundTlsPort, "TLSCAM", "RETINASCREEN");
    }
}
