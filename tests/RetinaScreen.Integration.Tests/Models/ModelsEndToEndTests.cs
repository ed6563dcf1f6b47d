using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Models;

/// <summary>
/// The models through the real embedded host: synthetic photographs sent by C-STORE are refused or graded as their
/// ground truth says, with a heatmap per graded photograph, and a shadow model's answers stored but never shown.
/// Its own collection, run after the parallel ones: the 2-second verdict is a latency requirement, not a race against
/// other test hosts grading on the same cores.
/// </summary>
[Collection(nameof(ModelsEndToEndTests))]
public sealed class ModelsEndToEndTests(ShadowModelHost host) : IClassFixture<ShadowModelHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-models-").FullName;
    private DatabaseProbe Database => new(Path.Combine(host.DataPath, "data"));

    [Fact]
    public async Task REQ_AI_05_REQ_AI_11_REQ_AI_12_proliferative_and_clean_photographs_get_the_right_referral_a_heatmap_and_a_shadow_answer()
    {
        var pdr = Write(seed: 9_410_001, FundusSpec.Default with { Grade = 4, Laterality = "R" });
        var clean = Write(seed: 9_410_002, FundusSpec.Default with { Grade = 0, Dme = false, Laterality = "R" });
        using var api = await host.LoginAsync();

        await StoreAsync(pdr.File, clean.File);

        var referred = await WaitForPredictionAsync(api, pdr.Study, TimeSpan.FromSeconds(20));
        var notReferred = await WaitForPredictionAsync(api, clean.Study, TimeSpan.FromSeconds(20));
        Assert.True(referred.Prediction.GetProperty("referableDr").GetBoolean(), referred.Prediction.ToString());
        Assert.True(referred.Study.GetProperty("referableDr").GetBoolean());
        Assert.False(notReferred.Prediction.GetProperty("referableDr").GetBoolean(), notReferred.Prediction.ToString());
        Assert.False(notReferred.Study.GetProperty("referableDr").GetBoolean());

        // REQ-AI-05: the heatmap overlay is stored beside the image and served to a grader as a PNG.
        var heatmapUrl = referred.Prediction.GetProperty("heatmapUrl").GetString()!;
        using var heatmap = await api.GetAsync(heatmapUrl.TrimStart('/'));
        Assert.Equal(HttpStatusCode.OK, heatmap.StatusCode);
        Assert.Equal("image/png", heatmap.Content.Headers.ContentType?.MediaType);
        var png = await heatmap.Content.ReadAsByteArrayAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(heatmapUrl.TrimStart('/'))).StatusCode);

        // REQ-AI-12: the shadow model graded the same photograph; its answer is stored, flagged, and not shown.
        Assert.Equal("0.2.0", referred.Prediction.GetProperty("model").GetProperty("version").GetString());
        var shadow = await WaitForCountAsync(
            "SELECT COUNT(*) FROM Predictions p JOIN Instances i ON i.Id = p.InstanceId JOIN ModelVersions m ON m.Id = p.ModelVersionId " +
            "WHERE i.SopInstanceUid = $uid AND p.Shadow = 1 AND m.Version = $version",
            ("$uid", pdr.Sop), ("$version", ShadowModelHost.CandidateVersion));
        Assert.Equal(1, shadow);
        Assert.Equal(2, await Database.PredictionsAsync(pdr.Sop));
    }

    [Fact]
    public async Task REQ_AI_04_REQ_AI_11_blurred_photograph_is_refused_with_its_reason_within_2_seconds_of_the_store()
    {
        var blurred = Write(seed: 9_410_003, FundusSpec.Default with { Defect = QualityDefect.Blur, Laterality = "L" });
        using var api = await host.LoginAsync();

        await StoreAsync(blurred.File);
        var stored = Stopwatch.StartNew();
        var (_, prediction) = await WaitForPredictionAsync(api, blurred.Study, TimeSpan.FromSeconds(10), pollMilliseconds: 25);
        var elapsed = stored.Elapsed;

        Assert.False(prediction.GetProperty("gradable").GetBoolean(), prediction.ToString());
        Assert.Equal("blurred", prediction.GetProperty("ungradableReason").GetString());
        Assert.Equal(JsonValueKind.Null, prediction.GetProperty("heatmapUrl").ValueKind);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"the gradability verdict came {elapsed.TotalMilliseconds:F0} ms after the C-STORE answer");
    }

    private (string File, string Study, string Sop) Write(int seed, FundusSpec spec)
    {
        var image = FundusSynthesizer.Generate(seed, spec);
        var visit = SyntheticVisit.Create(seed);
        var sop = SyntheticVisit.Uid(seed, "sop");
        var file = Path.Combine(_work, $"{seed}.dcm");
        OphthalmicPhotographWriter.Create(image, visit, 1, sop).Save(file);
        return (file, visit.StudyInstanceUid, sop);
    }

    private async Task StoreAsync(params string[] files)
    {
        var results = await new DicomClient().StoreAsync("127.0.0.1", host.DicomPort, "MODELCAM", "RETINASCREEN", [.. files.Select(DicomStoreItem.FromFile)]);
        Assert.All(results, r => Assert.Equal(DicomStatus.Success, r.Status));
    }

    private static async Task<(JsonElement Study, JsonElement Prediction)> WaitForPredictionAsync(
        HttpClient api, string studyInstanceUid, TimeSpan timeout, int pollMilliseconds = 200)
    {
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < timeout)
        {
            using var response = await api.GetAsync($"api/studies/{studyInstanceUid}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var study = JsonDocument.Parse(last).RootElement.Clone();
                var prediction = study.GetProperty("eyes").EnumerateArray()
                    .SelectMany(e => e.GetProperty("images").EnumerateArray())
                    .Select(i => i.GetProperty("prediction"))
                    .FirstOrDefault(p => p.ValueKind == JsonValueKind.Object);
                if (prediction.ValueKind == JsonValueKind.Object && study.GetProperty("status").GetString() is "Graded" or "AwaitingReview")
                {
                    return (study, prediction);
                }
            }

            await Task.Delay(pollMilliseconds);
        }

        throw new TimeoutException($"No prediction within {timeout}; last answer: {last}");
    }

    private async Task<long> WaitForCountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        var deadline = Stopwatch.StartNew();
        long count = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && (count = await Database.CountAsync(sql, parameters)) == 0)
        {
            await Task.Delay(100);
        }

        return count;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

[CollectionDefinition(nameof(ModelsEndToEndTests), DisableParallelization = true)]
public sealed class ModelsEndToEndCollection;
