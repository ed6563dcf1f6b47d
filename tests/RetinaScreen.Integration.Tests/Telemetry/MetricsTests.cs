using System.Globalization;
using System.Net;
using System.Text.Json;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Telemetry;

/// <summary>The embedded host with its Prometheus scrape on a loopback management port.</summary>
public sealed class MetricsHost : EmbeddedHost
{
    public int MetricsPort { get; } = FreePort.Next();

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides => new Dictionary<string, string>
    {
        ["RetinaScreen__Telemetry__MetricsUrl"] = $"http://127.0.0.1:{MetricsPort.ToString(CultureInfo.InvariantCulture)}",
    };
}

/// <summary>Metrics of real work, scraped as Prometheus would, through the real host process.</summary>
public sealed class MetricsTests(MetricsHost host) : IClassFixture<MetricsHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-metrics-").FullName;

    [Fact]
    public async Task REQ_PIPE_08_Graded_photograph_is_counted_per_model_on_the_loopback_scrape_only()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 930_001), Path.Combine(_work, "m.dcm"), "R", "IT-3001");
        var study = await TestImages.ReadStudyInstanceUidAsync(file);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var sent = await ExternalTool.RunAsync("storescu", ["-xy", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), file]);
        Assert.True(sent.ExitCode == 0, sent.Output);

        using var api = await host.LoginAsync();
        var model = await WaitForModelAsync(api, study);
        var modelName = model.GetProperty("name").GetString()!;
        var modelVersion = model.GetProperty("version").GetString()!;

        using var scraper = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.MetricsPort}/") };
        var scrape = await scraper.GetStringAsync("metrics");
        var counted = scrape.Split('\n').Where(line => line.StartsWith("retinascreen_predictions_total{", StringComparison.Ordinal)).ToList();
        Assert.Contains(counted, line => line.Contains($"model_name=\"{modelName}\"", StringComparison.Ordinal)
            && line.Contains($"model_version=\"{modelVersion}\"", StringComparison.Ordinal)
            && line.Contains("shadow=\"false\"", StringComparison.Ordinal)
            && double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) >= 1);
        Assert.Contains("retinascreen_grading_inference_duration_milliseconds_bucket", scrape, StringComparison.Ordinal);
        Assert.Contains("retinascreen_ingest_duration_milliseconds_bucket", scrape, StringComparison.Ordinal);
        // The in-memory bus has no queue to measure: the embedded host reports no queue depth rather than a made-up one.
        Assert.DoesNotContain(scrape.Split('\n'), line => line.StartsWith("retinascreen_queue_depth{", StringComparison.Ordinal));

        // No identifiers of the patient or the image ever become metric labels.
        Assert.DoesNotContain(sop, scrape, StringComparison.Ordinal);
        Assert.DoesNotContain(study, scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("IT-3001", scrape, StringComparison.Ordinal);

        // The public port does not serve the scrape, whatever Host header the caller claims.
        using var outsider = new HttpClient { BaseAddress = host.BaseAddress };
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "metrics");
        spoofed.Headers.Host = $"127.0.0.1:{host.MetricsPort}";
        using var refused = await outsider.SendAsync(spoofed);
        Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Unauthorized });
        Assert.DoesNotContain("retinascreen_predictions_total", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> WaitForModelAsync(HttpClient api, string studyInstanceUid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync($"api/studies/{studyInstanceUid}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var prediction = JsonDocument.Parse(last).RootElement.GetProperty("eyes").EnumerateArray()
                    .SelectMany(e => e.GetProperty("images").EnumerateArray())
                    .Select(i => i.GetProperty("prediction"))
                    .FirstOrDefault(p => p.ValueKind == JsonValueKind.Object);
                if (prediction.ValueKind == JsonValueKind.Object)
                {
                    return prediction.GetProperty("model").Clone();
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Not graded in time: {last}");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
