using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>The embedded host that only accepts registered devices over DIMSE.</summary>
public sealed class RegisteredDevicesHost : EmbeddedHost
{
    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Ingest__RequireRegisteredDevices"] = "true",
    };
}

/// <summary>SCP policy from configuration and the device registry (issue 4, item 3).</summary>
public sealed class DevicePolicyTests(RegisteredDevicesHost host) : IClassFixture<RegisteredDevicesHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-devices-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_ING_08_Admin_registers_a_device_and_its_token_is_shown_once()
    {
        using var admin = await host.LoginAsync();
        var token = await RegisterAsync(admin, "Clinic A camera 1", "CAMA1", "127.0.0.1");
        Assert.StartsWith("rsdev_", token, StringComparison.Ordinal);

        var listed = await admin.GetStringAsync("api/admin/devices");
        Assert.Contains("Clinic A camera 1", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(token, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(token[6..], listed, StringComparison.Ordinal);

        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/admin/devices")).StatusCode);
        // A device token is not a user login.
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/admin/devices")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("api/admin/devices", new { name = "Clinic A camera 1" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("api/admin/devices", new { name = "bad", allowedAddress = "not-an-address" })).StatusCode);
    }

    [Fact]
    public async Task REQ_ING_09_Only_registered_AE_titles_from_their_allowed_address_may_associate()
    {
        using var admin = await host.LoginAsync();
        await RegisterAsync(admin, "Loopback camera", "LOOPCAM", "127.0.0.0/8");
        await RegisterAsync(admin, "Remote camera", "FARCAM", "10.20.0.0/16");

        var file = await PhotographAsync(950_100);
        var allowed = await StorescuAsync(file, "LOOPCAM");
        Assert.True(allowed.ExitCode == 0 && !allowed.Output.Contains("E: ", StringComparison.Ordinal), allowed.Output);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'instance.received' AND EntityId = $uid AND Details LIKE '%\"sourceDevice\":\"Loopback camera\"%' AND Details LIKE '%\"destination\":\"dicom:RETINASCREEN\"%'",
            ("$uid", sop)));

        foreach (var refused in new[] { "FARCAM", "STRANGER" })
        {
            var result = await StorescuAsync(await PhotographAsync(950_200 + refused.Length), refused);
            Assert.Contains("Association Rejected", result.Output, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task REQ_ING_10_Secondary_capture_and_encapsulated_pdf_are_stored_but_only_fundus_is_graded()
    {
        using var admin = await host.LoginAsync();
        await RegisterAsync(admin, "Archive", "ARCHIVE", null);

        var jpeg = TestImages.FundusJpeg(_work, 950_300);
        var sc = await TestImages.Img2DcmSecondaryCaptureAsync(jpeg, Path.Combine(_work, "sc.dcm"));
        var pdfPath = Path.Combine(_work, "report.pdf");
        await File.WriteAllTextAsync(pdfPath, "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
        var pdf = Path.Combine(_work, "report.dcm");
        var conversion = await ExternalTool.RunAsync("pdf2dcm", ["+pn", "Test^Pdf", "+pi", "IT-PDF", "+t", "Report", pdfPath, pdf]);
        Assert.True(conversion.ExitCode == 0, conversion.Output);

        foreach (var file in new[] { sc, pdf })
        {
            var result = await StorescuAsync(file, "ARCHIVE", jpeg: file == sc);
            Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), result.Output);
            Assert.Equal(1, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(file)));
        }

        // Grading of an embedded-mode photograph takes about a second; give far more before concluding none came.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await new DatabaseProbe(DataFolder).PredictionsAsync(await TestImages.ReadSopInstanceUidAsync(sc)));
        Assert.Equal(0, await new DatabaseProbe(DataFolder).PredictionsAsync(await TestImages.ReadSopInstanceUidAsync(pdf)));
    }

    internal static async Task<string> RegisterAsync(HttpClient admin, string name, string? aeTitle, string? address)
    {
        using var response = await admin.PostAsJsonAsync("api/admin/devices", new { name, site = "Clinic A", aeTitle, allowedAddress = address });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiToken").GetString()!;
    }

    private async Task<string> PhotographAsync(int seed) =>
        await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed), Path.Combine(_work, $"op-{seed}.dcm"), "R", $"IT-{seed}");

    private Task<ExternalTool.Result> StorescuAsync(string file, string callingAe, bool jpeg = true) =>
        ExternalTool.RunAsync("storescu", [jpeg ? "-xy" : "-xe", "-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(), file]);

    public void Dispose() => Directory.Delete(_work, recursive: true);
}

/// <summary>The embedded host whose disk watermark is above any real free space.</summary>
public sealed class FullDiskHost : EmbeddedHost
{
    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Ingest__MinimumFreeDiskMegabytes"] = "1000000000",
    };
}

public sealed class DiskWatermarkTests(FullDiskHost host) : IClassFixture<FullDiskHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-watermark-").FullName;

    [Fact]
    public async Task REQ_ING_11_Below_the_disk_watermark_stores_are_refused_with_A700_and_nothing_is_kept()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, 950_400), Path.Combine(_work, "op.dcm"), "R", "IT-9504");
        var result = Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", host.DicomPort, "CAM", "RETINASCREEN", [DicomStoreItem.FromFile(file)]));
        Assert.Equal(DicomStatus.OutOfResources, result.Status);

        var data = Path.Combine(host.DataPath, "data");
        Assert.Equal(0, await new DatabaseProbe(data).AllInstancesAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "tmp")));
        Assert.False(Directory.Exists(Path.Combine(data, "objects")) && Directory.EnumerateFiles(Path.Combine(data, "objects"), "*.dcm", SearchOption.AllDirectories).Any());
        Assert.True(host.IsRunning);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
