using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Storage;

/// <summary>The embedded host with <c>RetinaScreen:Storage:Provider=S3</c>, against the test s3rver.</summary>
public sealed class S3EmbeddedHost : EmbeddedHost
{
    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides
    {
        get
        {
            var s3 = TestS3.Settings;
            return new Dictionary<string, string>
            {
                ["RetinaScreen__Storage__Provider"] = "S3",
                ["RetinaScreen__Storage__S3__ServiceUrl"] = s3.ServiceUrl.ToString(),
                ["RetinaScreen__Storage__S3__Bucket"] = s3.Bucket,
                ["RetinaScreen__Storage__S3__AccessKey"] = s3.AccessKey,
                ["RetinaScreen__Storage__S3__SecretKey"] = s3.SecretKey,
            };
        }
    }
}

/// <summary>
/// REQ-PIPE-10 end to end: a photograph sent by C-STORE (DCMTK's storescu, as a camera) is stored in the bucket under
/// its SHA-256, graded by the inference consumer that read it back from there, and its heatmap served from there too.
/// </summary>
public sealed class S3EmbeddedEndToEndTests(S3EmbeddedHost host) : IClassFixture<S3EmbeddedHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-s3-e2e-").FullName;

    [Fact]
    public async Task REQ_PIPE_10_REQ_PIPE_01_A_photograph_sent_by_C_STORE_is_stored_in_the_bucket_and_graded()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 930_001), Path.Combine(_work, "op.dcm"), "R", "IT-S3-1");
        var study = await TestImages.ReadStudyInstanceUidAsync(file);

        var sent = await ExternalTool.RunAsync("storescu", ["-xy", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), file]);
        Assert.True(sent.ExitCode == 0 && !sent.Output.Contains("E: ", StringComparison.Ordinal), "storescu failed: " + sent.Output);

        using var api = await host.LoginAsync();
        var image = await WaitForGradedImageAsync(api, study);
        var sha = image.GetProperty("sha256").GetString()!;
        var prediction = image.GetProperty("prediction");
        Assert.Equal(sha, prediction.GetProperty("imageSha256").GetString());

        // In the bucket under its content key: a Part 10 file whose bytes are what the hash says, the hash kept beside it.
        using (var client = TestS3.RawClient())
        using (var stored = await client.GetObjectAsync(TestS3.Settings.Bucket, $"{sha[..2]}/{sha[2..4]}/{sha}.dcm"))
        using (var bytes = new MemoryStream())
        {
            await stored.ResponseStream.CopyToAsync(bytes);
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())));
            Assert.Equal("DICM"u8.ToArray(), bytes.ToArray()[128..132]);
            Assert.Equal(sha, stored.Metadata["sha256"]);
        }

        // Nothing went to a folder store instead.
        var objectsFolder = Path.Combine(host.DataPath, "data", "objects");
        Assert.False(Directory.Exists(objectsFolder) && Directory.EnumerateFiles(objectsFolder, "*.dcm", SearchOption.AllDirectories).Any(),
            "an object was written to the folder store although the provider is S3");

        // The heatmap was stored in the bucket by the worker and is served from there.
        using var heatmap = await api.GetAsync(prediction.GetProperty("heatmapUrl").GetString()!.TrimStart('/'));
        Assert.True(heatmap.IsSuccessStatusCode, heatmap.ToString());
        Assert.Equal("image/png", heatmap.Content.Headers.ContentType?.MediaType);
        var png = await heatmap.Content.ReadAsByteArrayAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    private static async Task<JsonElement> WaitForGradedImageAsync(HttpClient api, string studyInstanceUid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync($"api/studies/{studyInstanceUid}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var graded = JsonDocument.Parse(last).RootElement.GetProperty("eyes").EnumerateArray()
                    .SelectMany(e => e.GetProperty("images").EnumerateArray())
                    .FirstOrDefault(i => i.GetProperty("prediction").ValueKind == JsonValueKind.Object);
                if (graded.ValueKind == JsonValueKind.Object)
                {
                    return graded.Clone();
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The photograph was not graded: {last}");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}

public sealed class S3ConfigurationTests
{
    [Fact]
    public async Task REQ_PIPE_10_The_S3_provider_without_keys_refuses_to_start()
    {
        var data = Directory.CreateTempSubdirectory("retinascreen-s3-nokeys-").FullName;
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = data,
            };
            start.ArgumentList.Add(RepositoryPaths.HostDll);
            start.Environment["Urls"] = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";
            start.Environment["RetinaScreen__DataPath"] = Path.Combine(data, "data");
            start.Environment["RetinaScreen__Dicom__Port"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            start.Environment["RetinaScreen__Dicom__BindAddress"] = "127.0.0.1";
            start.Environment["RetinaScreen__Storage__Provider"] = "S3";
            start.Environment["RetinaScreen__Storage__S3__ServiceUrl"] = "http://127.0.0.1:9";
            start.Environment["RetinaScreen__Storage__S3__Bucket"] = "retinascreen";
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);

            var log = await output + await error;
            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains("S3 credentials are required", log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
