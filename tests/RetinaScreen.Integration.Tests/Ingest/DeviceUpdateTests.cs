using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// Changing a registered device (issue 4): <c>PATCH /api/admin/devices/{id}</c> and token rotation, each taking effect
/// at once for DIMSE, DICOM TLS and STOW-RS, against the real host (TLS port open, client certificates required).
/// </summary>
public sealed class DeviceUpdateTests(TlsHost host) : IClassFixture<TlsHost>, IDisposable
{
    private static readonly string[] GraderRoles = ["Grader"];
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-device-update-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_ING_19_A_disabled_device_is_refused_at_once_over_DIMSE_and_STOW_RS_and_the_change_is_audited()
    {
        using var admin = await host.LoginAsync();
        var (id, token) = await RegisterAsync(admin, new { name = "Update camera 1", site = "Clinic B", aeTitle = "UPDCAM1", allowedAddress = "127.0.0.1" });
        Assert.True((await EchoAsync("UPDCAM1")).ExitCode == 0);
        Assert.Equal(HttpStatusCode.OK, await StowAsync(token, 970_100));

        using (var disabled = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { enabled = false }))
        {
            Assert.True(disabled.StatusCode == HttpStatusCode.OK, await disabled.Content.ReadAsStringAsync());
            var body = await disabled.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(body.GetProperty("enabled").GetBoolean());
            // Only what was sent changed.
            Assert.Equal("Clinic B", body.GetProperty("site").GetString());
            Assert.Equal("UPDCAM1", body.GetProperty("aeTitle").GetString());
        }

        // The registration's Location names the device; it reads back as changed, and an unknown id is 404.
        var read = await admin.GetFromJsonAsync<JsonElement>($"api/admin/devices/{id}");
        Assert.False(read.GetProperty("enabled").GetBoolean());
        Assert.Equal("Update camera 1", read.GetProperty("name").GetString());
        Assert.False(read.TryGetProperty("apiToken", out _));
        using (var unknown = await admin.GetAsync("api/admin/devices/987654321"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // No wait: the device directory is invalidated by the change.
        var refused = await EchoAsync("UPDCAM1");
        Assert.Contains("Association Rejected", refused.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Unauthorized, await StowAsync(token, 970_101));

        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'device.updated' AND EntityId = $id AND Actor = $actor AND Details LIKE '%\"enabled\":{\"before\":true,\"after\":false}%' AND Details NOT LIKE '%site%'",
            ("$id", id.ToString()), ("$actor", EmbeddedHost.AdminEmail)));

        // Moved to another address: refused from loopback; enabled again from loopback: accepted.
        using (var moved = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { enabled = true, allowedAddress = "10.9.0.0/16" }))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        Assert.Contains("Association Rejected", (await EchoAsync("UPDCAM1")).Output, StringComparison.OrdinalIgnoreCase);
        using (var back = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { allowedAddress = (string?)null }))
        {
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
            Assert.Equal(JsonValueKind.Null, (await back.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("allowedAddress").ValueKind);
        }

        var accepted = await EchoAsync("UPDCAM1");
        Assert.True(accepted.ExitCode == 0, accepted.Output);
        Assert.Equal(HttpStatusCode.OK, await StowAsync(token, 970_102));
    }

    [Fact]
    public async Task REQ_ING_20_A_rotated_certificate_thumbprint_is_accepted_and_the_old_certificate_refused()
    {
        await host.EnsureDeviceRegisteredAsync();
        var old = host.Pki.IssueDevice("Rotating camera 2025");
        var next = host.Pki.IssueDevice("Rotating camera 2026");
        using var admin = await host.LoginAsync();
        var (id, _) = await RegisterAsync(admin, new { name = "Rotating camera", aeTitle = "ROTCAM", certificateThumbprint = old.Thumbprint });
        var before = await TlsEchoAsync(old, "ROTCAM");
        Assert.True(before.ExitCode == 0, before.Output);

        // As tools print it: upper case, colon-separated.
        var printed = string.Join(':', Enumerable.Range(0, 32).Select(i => next.Thumbprint.Substring(i * 2, 2).ToUpperInvariant()));
        using (var rotated = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { certificateThumbprint = printed }))
        {
            Assert.True(rotated.StatusCode == HttpStatusCode.OK, await rotated.Content.ReadAsStringAsync());
            Assert.Equal(next.Thumbprint, (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("certificateThumbprint").GetString());
        }

        var oldCertificate = await TlsEchoAsync(old, "ROTCAM");
        Assert.Contains("Association Rejected", oldCertificate.Output, StringComparison.OrdinalIgnoreCase);
        var newCertificate = await TlsEchoAsync(next, "ROTCAM");
        Assert.True(newCertificate.ExitCode == 0, newCertificate.Output);
        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'device.updated' AND EntityId = $id AND Details LIKE $change",
            ("$id", id.ToString()), ("$change", $"%\"certificateThumbprint\":{{\"before\":\"{old.Thumbprint}\",\"after\":\"{next.Thumbprint}\"}}%")));

        // Another device's certificate or name is refused: 409, and nothing changes.
        using (var taken = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { certificateThumbprint = host.Pki.DeviceThumbprint }))
        {
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        }

        using (var takenName = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { name = TlsHost.DeviceName }))
        {
            Assert.Equal(HttpStatusCode.Conflict, takenName.StatusCode);
        }

        Assert.True((await TlsEchoAsync(next, "ROTCAM")).ExitCode == 0);

        // Cleared: the certificate identifies no device any more.
        using (var cleared = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", new { certificateThumbprint = "" }))
        {
            Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        }

        Assert.Contains("Association Rejected", (await TlsEchoAsync(next, "ROTCAM")).Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task REQ_ING_21_A_rotated_token_works_at_once_and_the_old_one_gets_401()
    {
        using var admin = await host.LoginAsync();
        var (id, oldToken) = await RegisterAsync(admin, new { name = "Token camera" });
        Assert.Equal(HttpStatusCode.OK, await StowAsync(oldToken, 970_200));

        using var rotated = await admin.PostAsync($"api/admin/devices/{id}/token", null);
        Assert.True(rotated.StatusCode == HttpStatusCode.OK, await rotated.Content.ReadAsStringAsync());
        var newToken = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiToken").GetString()!;
        Assert.StartsWith("rsdev_", newToken, StringComparison.Ordinal);
        Assert.NotEqual(oldToken, newToken);

        Assert.Equal(HttpStatusCode.Unauthorized, await StowAsync(oldToken, 970_201));
        Assert.Equal(HttpStatusCode.OK, await StowAsync(newToken, 970_202));

        // Audited, and the token is shown only in that answer: not in the list, not in the audit trail.
        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'device.token_rotated' AND EntityId = $id AND Actor = $actor",
            ("$id", id.ToString()), ("$actor", EmbeddedHost.AdminEmail)));
        Assert.Equal(0, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Details LIKE $new OR Details LIKE $old",
            ("$new", $"%{newToken[6..]}%"), ("$old", $"%{oldToken[6..]}%")));
        Assert.DoesNotContain(newToken[6..], await admin.GetStringAsync("api/admin/devices"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("api/admin/devices/987654/token", null)).StatusCode);
    }

    [Fact]
    public async Task REQ_ING_22_Only_administrators_change_devices_and_invalid_changes_get_a_problem_response()
    {
        using var admin = await host.LoginAsync();
        var (id, token) = await RegisterAsync(admin, new { name = "Guarded camera", aeTitle = "GUARDCAM" });

        await EmbeddedHost.CreateUserAsync(admin, "grader@clinic.test", "Grader-Passphrase-1!", GraderRoles);

        using (var grader = await host.LoginAsync("grader@clinic.test", "Grader-Passphrase-1!"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await grader.PatchAsJsonAsync($"api/admin/devices/{id}", new { enabled = false })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await grader.PostAsync($"api/admin/devices/{id}/token", null)).StatusCode);
        }

        using (var anonymous = new HttpClient { BaseAddress = host.BaseAddress })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PatchAsJsonAsync($"api/admin/devices/{id}", new { enabled = false })).StatusCode);
            // A device token is not an administrator.
            anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"api/admin/devices/{id}/token", null)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PatchAsJsonAsync("api/admin/devices/987654", new { enabled = false })).StatusCode);

        object[] invalid =
        [
            new { aeTitle = "A_TITLE_LONGER_THAN_16" },
            new { allowedAddress = "not-an-address" },
            new { certificateThumbprint = "abc123" },
            new { enabled = "yes" },
            new { enabled = (bool?)null },
            new { name = (string?)null },
            new { name = "  " },
            new { site = new string('s', 129) },
            new { apiToken = "rsdev_" + new string('0', 64) },
        ];
        foreach (var change in invalid)
        {
            using var response = await admin.PatchAsJsonAsync($"api/admin/devices/{id}", change);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(change)}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Any(), body);
        }

        using (var notAnObject = new StringContent("[1,2]", System.Text.Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await admin.PatchAsync($"api/admin/devices/{id}", notAnObject)).StatusCode);
        }

        // Nothing of the refused changes was applied, and none was audited.
        var listed = (await admin.GetFromJsonAsync<JsonElement>("api/admin/devices")).EnumerateArray().Single(d => d.GetProperty("id").GetInt64() == id);
        Assert.Equal("Guarded camera", listed.GetProperty("name").GetString());
        Assert.Equal("GUARDCAM", listed.GetProperty("aeTitle").GetString());
        Assert.True(listed.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'device.updated' AND EntityId = $id", ("$id", id.ToString())));
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static async Task<(long Id, string Token)> RegisterAsync(HttpClient admin, object device)
    {
        using var response = await admin.PostAsJsonAsync("api/admin/devices", device);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetInt64(), body.GetProperty("apiToken").GetString()!);
    }

    private Task<ExternalTool.Result> EchoAsync(string callingAe) =>
        ExternalTool.RunAsync("echoscu", ["-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString()], TimeSpan.FromSeconds(20));

    private Task<ExternalTool.Result> TlsEchoAsync((string KeyPath, string CertPath, string Thumbprint) device, string callingAe) =>
        ExternalTool.RunAsync("echoscu",
            ["+tls", device.KeyPath, device.CertPath, "+cf", host.Pki.CaPath, "-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", host.TlsPort.ToString()],
            TimeSpan.FromSeconds(20));

    private async Task<HttpStatusCode> StowAsync(string token, int seed)
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed), Path.Combine(_work, $"op-{seed}.dcm"), "R", $"IT-{seed}");
        using var device = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        device.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await device.PostAsync("dicomweb/studies", StowRsTests.Multipart([await File.ReadAllBytesAsync(file)]));
        return response.StatusCode;
    }
}
