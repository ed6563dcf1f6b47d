using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RetinaScreen.Cli.Sending;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// A test PKI made for the run: a CA, the host's server certificate for 127.0.0.1/localhost, a registered device
/// certificate, an unregistered one from the same CA and a self-signed stranger. Keys and certificates are PEM
/// files, as DCMTK reads them. The CA keeps its key, so a test can issue more device certificates and CRLs.
/// </summary>
public sealed class TestPki
{
    private readonly X509Certificate2 _ca;

    private static readonly DateTimeOffset NotBefore = DateTimeOffset.UtcNow.AddHours(-1);
    private static readonly DateTimeOffset NotAfter = NotBefore.AddDays(2);

    public TestPki(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=RetinaScreen Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(NotBefore, NotAfter);
        _ca = ca;
        CaPath = Write("ca.pem", ca.ExportCertificatePem());

        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        (ServerPath, _) = Issue(ca, "server", "CN=localhost", "1.3.6.1.5.5.7.3.1", san.Build(), combined: true);
        (DeviceKeyPath, DeviceCertPath) = Issue(ca, "device", "CN=Clinic A camera", "1.3.6.1.5.5.7.3.2", null, combined: false);
        DeviceThumbprint = Thumbprint(DeviceCertPath);
        (UnregisteredKeyPath, UnregisteredCertPath) = Issue(ca, "unregistered", "CN=Unregistered camera", "1.3.6.1.5.5.7.3.2", null, combined: false);

        using var strangerKey = RSA.Create(2048);
        var strangerRequest = new CertificateRequest("CN=Stranger", strangerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        strangerRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var stranger = strangerRequest.CreateSelfSigned(NotBefore, NotAfter);
        StrangerCertPath = Write("stranger.pem", stranger.ExportCertificatePem());
        StrangerKeyPath = Write("stranger.key", strangerKey.ExportPkcs8PrivateKeyPem());
    }

    public string Folder { get; }
    public string CaPath { get; }
    /// <summary>Certificate and key in one PEM file.</summary>
    public string ServerPath { get; }
    public string DeviceKeyPath { get; }
    public string DeviceCertPath { get; }
    public string DeviceThumbprint { get; }
    public string UnregisteredKeyPath { get; }
    public string UnregisteredCertPath { get; }
    public string StrangerKeyPath { get; }
    public string StrangerCertPath { get; }

    /// <summary>Another device certificate from the CA: its key and certificate files and its thumbprint.</summary>
    public (string KeyPath, string CertPath, string Thumbprint) IssueDevice(string name)
    {
        var (keyPath, certPath) = Issue(_ca, name, $"CN={name}", "1.3.6.1.5.5.7.3.2", null, combined: false);
        return (keyPath, certPath, Thumbprint(certPath));
    }

    /// <summary>
    /// Writes the CA's CRL listing these device certificates to <paramref name="path"/> as PEM, the way an
    /// administrator replaces one: a new file moved over the old, so the host never reads half of it.
    /// </summary>
    public void WriteCrl(string path, int number, params string[] revokedCertPaths)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certPath in revokedCertPaths)
        {
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-1), X509RevocationReason.KeyCompromise);
        }

        var crl = builder.Build(_ca, number, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, DateTimeOffset.UtcNow.AddMinutes(-1));
        var next = path + ".new";
        File.WriteAllText(next, PemEncoding.WriteString("X509 CRL", crl) + "\n");
        File.Move(next, path, overwrite: true);
    }

    private static string Thumbprint(string certPath)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    private (string First, string Second) Issue(X509Certificate2 ca, string name, string subject, string usage, X509Extension? san, bool combined)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        using var certificate = request.Create(ca, NotBefore, NotAfter, RandomNumberGenerator.GetBytes(16));
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        var certPem = certificate.ExportCertificatePem();
        return combined
            ? (Write($"{name}.pem", certPem + "\n" + keyPem), "")
            : (Write($"{name}.key", keyPem), Write($"{name}.pem", certPem));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, pem);
        return path;
    }
}

/// <summary>The embedded host with its DICOM TLS port open and client certificates required.</summary>
public sealed class TlsHost : EmbeddedHost
{
    private readonly Lazy<Task> _registration;

    public TlsHost()
    {
        _registration = new Lazy<Task>(RegisterDeviceAsync);
        Pki = new TestPki(Path.Combine(DataPath, "pki"));
        EnvironmentOverrides = new Dictionary<string, string>
        {
            ["RetinaScreen__Dicom__Tls__Port"] = TlsPort.ToString(),
            ["RetinaScreen__Dicom__Tls__CertificatePath"] = Pki.ServerPath,
            ["RetinaScreen__Dicom__Tls__RequireClientCertificate"] = "true",
            ["RetinaScreen__Dicom__Tls__ClientCaPath"] = Pki.CaPath,
            ["RetinaScreen__Dicom__Tls__HandshakeTimeout"] = "00:00:02",
        };
    }

    public const string DeviceName = "TLS camera";
    public const string DeviceAeTitle = "TLSCAM";

    public int TlsPort { get; } = FreePort.Next();

    public TestPki Pki { get; }

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; }

    /// <summary>Registers the device certificate once, through the admin API as an administrator would.</summary>
    public Task EnsureDeviceRegisteredAsync() => _registration.Value;

    private async Task RegisterDeviceAsync()
    {
        using var admin = await LoginAsync();
        // Thumbprints are accepted as tools print them: upper case, colon-separated.
        var printed = string.Join(':', Enumerable.Range(0, 32).Select(i => Pki.DeviceThumbprint.Substring(i * 2, 2).ToUpperInvariant()));
        using var response = await admin.PostAsJsonAsync("api/admin/devices", new
        {
            name = DeviceName,
            site = "Clinic A",
            aeTitle = DeviceAeTitle,
            certificateThumbprint = printed,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>
/// DICOM TLS (issue 4, item 4): the BCP 195 secure transport connection profile on its own port, devices
/// authenticated by client certificate, against the real host and DCMTK peers.
/// </summary>
public sealed class DicomTlsTests(TlsHost host) : IClassFixture<TlsHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-tls-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");
    private string TlsPort => host.TlsPort.ToString();
    private TestPki Pki => host.Pki;

    [Fact]
    public async Task REQ_NET_12_Echoscu_over_TLS_with_a_registered_device_certificate_succeeds()
    {
        await host.EnsureDeviceRegisteredAsync();

        var result = await EchoscuAsync(["+tls", Pki.DeviceKeyPath, Pki.DeviceCertPath, "+cf", Pki.CaPath], TlsHost.DeviceAeTitle);

        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), result.Output);
    }

    [Fact]
    public async Task REQ_NET_12_Storescu_over_TLS_stores_the_photograph_unchanged_and_the_audit_names_the_device()
    {
        await host.EnsureDeviceRegisteredAsync();
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, 960_100), Path.Combine(_work, "op.dcm"), "L", "IT-TLS-1");

        var result = await ExternalTool.RunAsync("storescu",
            ["+tls", Pki.DeviceKeyPath, Pki.DeviceCertPath, "+cf", Pki.CaPath, "-xy", "-aet", TlsHost.DeviceAeTitle, "-aec", "RETINASCREEN", "127.0.0.1", TlsPort, file],
            TimeSpan.FromSeconds(20));

        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), result.Output);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var stored = await Part10.StoredObjectAsync(DataFolder, sop);
        Assert.NotNull(stored);
        Assert.Equal(Part10.Dataset(file), Part10.Dataset(stored));
        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'instance.received' AND EntityId = $uid AND Details LIKE '%\"sourceDevice\":\"TLS camera\"%'",
            ("$uid", sop)));
    }

    [Fact]
    public async Task REQ_NET_12_Plain_DICOM_or_silence_on_the_TLS_port_is_closed_and_the_host_keeps_serving()
    {
        await host.EnsureDeviceRegisteredAsync();

        // A plain A-ASSOCIATE-RQ is not a TLS ClientHello: the connection is closed without an association.
        var plain = await EchoscuAsync([], TlsHost.DeviceAeTitle);
        Assert.NotEqual(0, plain.ExitCode);
        Assert.DoesNotContain("Received Echo Response", plain.Output, StringComparison.Ordinal);

        // A client that connects and says nothing is dropped after the handshake timeout (2 s in this host).
        using (var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await silent.ConnectAsync(IPAddress.Loopback, host.TlsPort);
            var started = DateTime.UtcNow;
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = 0;
            try
            {
                read = await silent.ReceiveAsync(new byte[16], SocketFlags.None, limit.Token);
            }
            catch (SocketException)
            {
                // A reset is as good as an orderly close.
            }

            Assert.Equal(0, read);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8));
        }

        Assert.True(host.IsRunning);
        var secure = await EchoscuAsync(["+tls", Pki.DeviceKeyPath, Pki.DeviceCertPath, "+cf", Pki.CaPath], TlsHost.DeviceAeTitle);
        Assert.True(secure.ExitCode == 0, secure.Output);
        var plainPort = await ExternalTool.RunAsync("echoscu", ["-aet", "PLAINCAM", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString()]);
        Assert.True(plainPort.ExitCode == 0, plainPort.Output);
    }

    [Fact]
    public async Task REQ_NET_12_With_client_certificates_required_anonymous_and_untrusted_clients_fail_the_handshake()
    {
        await host.EnsureDeviceRegisteredAsync();

        var anonymous = await EchoscuAsync(["+tla", "+cf", Pki.CaPath], TlsHost.DeviceAeTitle);
        var stranger = await EchoscuAsync(["+tls", Pki.StrangerKeyPath, Pki.StrangerCertPath, "+cf", Pki.CaPath], TlsHost.DeviceAeTitle);

        foreach (var result in new[] { anonymous, stranger })
        {
            Assert.NotEqual(0, result.ExitCode);
            Assert.DoesNotContain("Received Echo Response", result.Output, StringComparison.Ordinal);
            // Refused in the handshake, before any A-ASSOCIATE exchange.
            Assert.DoesNotContain("Association Rejected", result.Output, StringComparison.OrdinalIgnoreCase);
        }

        Assert.True(host.IsRunning);
    }

    [Fact]
    public async Task REQ_NET_12_Unregistered_certificates_and_a_certificate_device_without_its_certificate_are_rejected()
    {
        await host.EnsureDeviceRegisteredAsync();

        // Chains to the trusted CA, so the handshake succeeds; no device holds it: A-ASSOCIATE-RJ, calling AE not recognized.
        var unregistered = await EchoscuAsync(["+tls", Pki.UnregisteredKeyPath, Pki.UnregisteredCertPath, "+cf", Pki.CaPath], TlsHost.DeviceAeTitle);
        // The registered certificate binds its device's AE title.
        var otherAe = await EchoscuAsync(["+tls", Pki.DeviceKeyPath, Pki.DeviceCertPath, "+cf", Pki.CaPath], "OTHERCAM");
        // The device's AE title alone, on the plain port, is not the device.
        var withoutCertificate = await ExternalTool.RunAsync("echoscu", ["-aet", TlsHost.DeviceAeTitle, "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString()]);

        foreach (var result in new[] { unregistered, otherAe, withoutCertificate })
        {
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("Association Rejected", result.Output, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Calling AE Title Not Recognized", result.Output, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("not registered to any device", host.Log, StringComparison.Ordinal);

        using var admin = await host.LoginAsync();
        using var invalid = await admin.PostAsJsonAsync("api/admin/devices", new { name = "Bad thumbprint", certificateThumbprint = "abc123" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        using var duplicate = await admin.PostAsJsonAsync("api/admin/devices", new { name = "Copy of the TLS camera", certificateThumbprint = Pki.DeviceThumbprint });
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }

    [Fact]
    public async Task REQ_NET_12_Retinascreen_send_over_TLS_verifies_the_server_and_stores_with_the_device_certificate()
    {
        await host.EnsureDeviceRegisteredAsync();
        var folder = Path.Combine(_work, "send");
        var output = new StringWriter();
        Assert.Equal(0, SynthCommand.Run(["--out", folder, "--count", "1", "--seed", "960200"], output, output));
        var sop = DicomStoreItem.FromFile(Directory.EnumerateFiles(folder, "*.dcm", SearchOption.AllDirectories).Single()).SopInstanceUid;

        // Without our CA the server's certificate is not trusted: nothing is sent.
        var untrusted = await SendCommand.RunAsync(
            ["127.0.0.1", TlsPort, folder, "--aet", TlsHost.DeviceAeTitle, "--tls", "--tls-cert", Pki.DeviceCertPath, "--tls-key", Pki.DeviceKeyPath], output, output);
        Assert.Equal(1, untrusted);
        Assert.Equal(0, await new DatabaseProbe(DataFolder).InstancesAsync(sop));

        var exitCode = await SendCommand.RunAsync(
            ["127.0.0.1", TlsPort, folder, "--aet", TlsHost.DeviceAeTitle, "--tls", "--tls-cert", Pki.DeviceCertPath, "--tls-key", Pki.DeviceKeyPath, "--tls-ca", Pki.CaPath],
            output, output);

        Assert.True(exitCode == 0, output.ToString());
        Assert.Equal(1, await new DatabaseProbe(DataFolder).InstancesAsync(sop));
        Assert.Equal(2, await SendCommand.RunAsync(["127.0.0.1", TlsPort, folder, "--tls-ca", Pki.CaPath], output, output));
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private Task<ExternalTool.Result> EchoscuAsync(string[] tls, string callingAe) =>
        ExternalTool.RunAsync("echoscu", [.. tls, "-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", TlsPort], TimeSpan.FromSeconds(20));
}

/// <summary>The embedded host given a DICOM TLS certificate it cannot open.</summary>
public sealed class MisconfiguredTlsHost : EmbeddedHost
{
    public const string RightPassword = "Right-Passphrase-1";

    public MisconfiguredTlsHost(string form, string? password)
    {
        var pki = new TestPki(Path.Combine(DataPath, "pki"));
        using var server = X509Certificate2.CreateFromPemFile(pki.ServerPath);
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000);
        CertificatePath = Path.Combine(pki.Folder, form == "pkcs12" ? "server.pfx" : "server-encrypted.pem");
        if (form == "pkcs12")
        {
            File.WriteAllBytes(CertificatePath, server.ExportPkcs12(pbe, RightPassword));
        }
        else
        {
            using var key = server.GetRSAPrivateKey()!;
            File.WriteAllText(CertificatePath, server.ExportCertificatePem() + "\n" + key.ExportEncryptedPkcs8PrivateKeyPem(RightPassword, pbe));
        }

        var overrides = new Dictionary<string, string>
        {
            ["RetinaScreen__Dicom__Tls__Port"] = FreePort.Next().ToString(),
            ["RetinaScreen__Dicom__Tls__CertificatePath"] = CertificatePath,
        };
        if (password is not null)
        {
            overrides["RetinaScreen__Dicom__Tls__CertificatePassword"] = password;
        }

        EnvironmentOverrides = overrides;
    }

    public string CertificatePath { get; }

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; }
}

/// <summary>A secure port that cannot be opened stops the host at start, with a message naming the setting (issue 4).</summary>
public sealed class MisconfiguredTlsTests
{
    [Theory]
    [InlineData("pkcs12", "Wrong-Passphrase")]
    [InlineData("pkcs12", null)]
    [InlineData("encrypted-pem", "Wrong-Passphrase")]
    [InlineData("encrypted-pem", null)]
    public async Task REQ_NET_12_A_wrong_or_missing_certificate_password_stops_the_host_at_start_naming_the_setting(string form, string? password)
    {
        var host = new MisconfiguredTlsHost(form, password);
        try
        {
            var started = DateTime.UtcNow;
            var error = await Assert.ThrowsAsync<InvalidOperationException>(host.InitializeAsync);

            // It exited (rather than serving without TLS until someone noticed), promptly, and said what to fix.
            Assert.StartsWith("The host exited", error.Message, StringComparison.Ordinal);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(60));
            Assert.Contains("RetinaScreen:Dicom:Tls:CertificatePassword", error.Message, StringComparison.Ordinal);
            Assert.Contains("RetinaScreen__Dicom__Tls__CertificatePassword", error.Message, StringComparison.Ordinal);
            Assert.Contains(host.CertificatePath, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(MisconfiguredTlsHost.RightPassword, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Wrong-Passphrase", error.Message, StringComparison.Ordinal);
            Assert.False(host.IsRunning);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }
}
