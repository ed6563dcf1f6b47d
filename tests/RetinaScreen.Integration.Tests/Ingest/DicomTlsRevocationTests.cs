using System.Net;
using System.Net.Http.Json;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// The embedded host with DICOM TLS, device CRLs from a file, and client certificates optional: a revoked certificate
/// must be refused even where an anonymous TLS client would be let through to association negotiation.
/// </summary>
public sealed class RevocationHost : EmbeddedHost
{
    public RevocationHost()
    {
        Pki = new TestPki(Path.Combine(DataPath, "pki"));
        Revoked = Pki.IssueDevice("Revoked camera");
        Good = Pki.IssueDevice("Good camera");
        CrlPath = Path.Combine(Pki.Folder, "devices.crl");
        Pki.WriteCrl(CrlPath, 1, Revoked.CertPath);
        EnvironmentOverrides = new Dictionary<string, string>
        {
            ["RetinaScreen__Dicom__Tls__Port"] = TlsPort.ToString(),
            ["RetinaScreen__Dicom__Tls__CertificatePath"] = Pki.ServerPath,
            ["RetinaScreen__Dicom__Tls__RequireClientCertificate"] = "false",
            ["RetinaScreen__Dicom__Tls__ClientCaPath"] = Pki.CaPath,
            ["RetinaScreen__Dicom__Tls__ClientCrlPath"] = CrlPath,
            ["RetinaScreen__Dicom__Tls__HandshakeTimeout"] = "00:00:02",
        };
    }

    public int TlsPort { get; } = FreePort.Next();

    public TestPki Pki { get; }

    public (string KeyPath, string CertPath, string Thumbprint) Revoked { get; }

    public (string KeyPath, string CertPath, string Thumbprint) Good { get; }

    public string CrlPath { get; }

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; }
}

/// <summary>Revocation of device certificates by an offline CRL file (issue 4), through the real host and DCMTK.</summary>
public sealed class DicomTlsRevocationTests(RevocationHost host) : IClassFixture<RevocationHost>
{
    [Fact]
    public async Task REQ_NET_13_A_revoked_device_certificate_fails_the_handshake_and_a_replaced_CRL_applies_without_restart()
    {
        // Both are registered devices: what refuses the revoked one is the CRL, not the device registry.
        using (var admin = await host.LoginAsync())
        {
            foreach (var (name, ae, thumbprint) in new[] { ("Revoked camera", "REVOKEDCAM", host.Revoked.Thumbprint), ("Good camera", "GOODCAM", host.Good.Thumbprint) })
            {
                using var response = await admin.PostAsJsonAsync("api/admin/devices", new { name, aeTitle = ae, certificateThumbprint = thumbprint });
                Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            }
        }

        var revoked = await EchoscuAsync(host.Revoked, "REVOKEDCAM");
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.DoesNotContain("Received Echo Response", revoked.Output, StringComparison.Ordinal);
        // Refused in the TLS handshake, before any A-ASSOCIATE exchange.
        Assert.DoesNotContain("Association Rejected", revoked.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"DICOM TLS client certificate {host.Revoked.Thumbprint}", host.Log, StringComparison.Ordinal);

        var good = await EchoscuAsync(host.Good, "GOODCAM");
        Assert.True(good.ExitCode == 0 && good.Output.Contains("Received Echo Response (Success)", StringComparison.Ordinal), good.Output);

        // The administrator drops in the CA's next CRL, which also revokes the good camera's certificate.
        host.Pki.WriteCrl(host.CrlPath, 2, host.Revoked.CertPath, host.Good.CertPath);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ExternalTool.Result after;
        do
        {
            after = await EchoscuAsync(host.Good, "GOODCAM");
            if (after.ExitCode != 0)
            {
                break;
            }

            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        Assert.NotEqual(0, after.ExitCode);
        Assert.DoesNotContain("Association Rejected", after.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"DICOM TLS client certificate {host.Good.Thumbprint}", host.Log, StringComparison.Ordinal);
        Assert.True(host.IsRunning);
    }

    private Task<ExternalTool.Result> EchoscuAsync((string KeyPath, string CertPath, string Thumbprint) device, string callingAe) =>
        ExternalTool.RunAsync("echoscu",
            ["-v", "+tls", device.KeyPath, device.CertPath, "+cf", host.Pki.CaPath, "-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", host.TlsPort.ToString()],
            TimeSpan.FromSeconds(20));
}
