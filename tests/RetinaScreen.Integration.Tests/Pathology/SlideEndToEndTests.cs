using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Pathology;

/// <summary>
/// Whole-slide metastasis detection through the real embedded host: DCMTK's storescu sends a synthetic tumour slide and
/// a normal one (JPEG baseline tiles); the host analyses each tile by tile and serves the outcome, its progress and a
/// heatmap to a Grader, never to an anonymous caller.
/// </summary>
public sealed class SlideEndToEndTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private const string GraderEmail = "pathologist@clinic.test";
    private const string GraderPassword = "Pathologist-Integration-Pass-3!";
    private static readonly string[] GraderRoles = ["Grader"];

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-slides-it-").FullName;

    [Fact]
    public async Task REQ_PATH_08_REQ_PATH_09_storescu_slides_are_analysed_tumour_positive_normal_negative_with_progress_and_a_heatmap_for_graders_only()
    {
        var tumour = Write(9_600_001, tumour: true);
        var normal = Write(9_600_002, tumour: false);
        // VL Whole Slide Microscopy is not in storescu's default proposal list: -R proposes what the files need (JPEG baseline).
        var store = await ExternalTool.RunAsync("storescu", ["-R", "-xy", "-aet", "SLIDESCANNER", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), tumour.File, normal.File]);
        Assert.True(store.ExitCode == 0, store.Output);

        using var admin = await host.LoginAsync();
        await EmbeddedHost.CreateUserAsync(admin, GraderEmail, GraderPassword, GraderRoles);

        using var grader = await host.LoginAsync(GraderEmail, GraderPassword);
        var positive = await WaitForCompletedAsync(grader, tumour.Sop);
        var negative = await WaitForCompletedAsync(grader, normal.Sop);

        Assert.True(positive.GetProperty("positive").GetBoolean(), positive.ToString());
        Assert.False(negative.GetProperty("positive").GetBoolean(), negative.ToString());
        Assert.True(positive.GetProperty("probability").GetDouble() > negative.GetProperty("probability").GetDouble());
        foreach (var slide in new[] { positive, negative })
        {
            // 1024 px in 256 px tiles: 16 tiles, every one read.
            var progress = slide.GetProperty("progress");
            Assert.Equal(16, progress.GetProperty("tilesTotal").GetInt32());
            Assert.Equal(16, progress.GetProperty("tilesAnalysed").GetInt32());
            Assert.Equal(1.0, progress.GetProperty("fraction").GetDouble());
            Assert.InRange(progress.GetProperty("tissuePatches").GetInt32(), 1, 16 * 16 - 1);
            Assert.Equal("metastasis", slide.GetProperty("model").GetProperty("name").GetString());
            Assert.Equal(64, slide.GetProperty("model").GetProperty("sha256").GetString()!.Length);
            Assert.Equal("slide", slide.GetProperty("operatingPoint").GetProperty("name").GetString());
            Assert.InRange(slide.GetProperty("operatingPoint").GetProperty("threshold").GetDouble(), 0, 1);
            Assert.Equal(5, slide.GetProperty("topRegions").GetArrayLength());
        }

        // The study of a positive slide waits for a pathologist; the normal one is analysed and done.
        Assert.Equal("AwaitingReview", (await grader.GetFromJsonAsync<JsonElement>($"api/studies/{tumour.Study}")).GetProperty("status").GetString());
        Assert.Equal("Graded", (await grader.GetFromJsonAsync<JsonElement>($"api/studies/{normal.Study}")).GetProperty("status").GetString());

        var heatmapUrl = positive.GetProperty("heatmapUrl").GetString()!.TrimStart('/');
        using (var heatmap = await grader.GetAsync(heatmapUrl))
        {
            Assert.Equal(HttpStatusCode.OK, heatmap.StatusCode);
            Assert.Equal("image/png", heatmap.Content.Headers.ContentType?.MediaType);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await heatmap.Content.ReadAsByteArrayAsync())[..4]);
        }

        // The viewer's Deep Zoom tiles: 1024 pixels in 256-pixel tiles, so level 10 is the full resolution, where a tile is
        // the stored frame as storescu sent it (frame 9: column 1, row 2), and level 8 is the whole slide in one tile.
        using (var tile = await grader.GetAsync($"api/slides/{tumour.Sop}/tiles/10/1_2.jpg"))
        {
            Assert.Equal(HttpStatusCode.OK, tile.StatusCode);
            Assert.Equal("image/jpeg", tile.Content.Headers.ContentType?.MediaType);
            var sent = DicomFile.Open(tumour.File);
            var frame = FrameDecoder.GetEncapsulatedFrame((DicomFragmentSequence)sent.Dataset.Find(DicomTag.PixelData)!, 9, FrameDecoder.GetFrameCount(sent.Dataset));
            Assert.Equal(frame, await tile.Content.ReadAsByteArrayAsync());
        }

        using (var overview = await grader.GetAsync($"api/slides/{tumour.Sop}/tiles/8/0_0.jpg"))
        {
            Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
            Assert.Equal("image/jpeg", overview.Content.Headers.ContentType?.MediaType);
        }

        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"api/slides/{tumour.Sop}/tiles/10/0_0.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"api/slides/{tumour.Sop}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(heatmapUrl)).StatusCode);
        using (var unknown = await grader.GetAsync("api/slides/1.2.3.4.5.6.7.8.9"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }

        // Each slide was analysed once, recorded with the model's identity, and never graded as a fundus photograph.
        var database = new DatabaseProbe(Path.Combine(host.DataPath, "data"));
        Assert.Equal(0, await database.PredictionsAsync(tumour.Sop));
        Assert.Equal(1, await database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'prediction.created' AND EntityType = 'SlideAnalysis' AND EntityId = $uid AND Actor LIKE 'model:metastasis/%'",
            ("$uid", tumour.Sop)));
    }

    private (string File, string Sop, string Study) Write(int seed, bool tumour)
    {
        var slide = SlideSynthesizer.Generate(seed, SlideSpec.Default with { Width = 1024, Height = 1024, Tumour = tumour });
        Assert.Equal(tumour, slide.HasTumour);
        var file = Path.Combine(_work, $"{seed}.dcm");
        WholeSlideWriter.Write(file, slide, seed);
        var header = DicomFile.Open(file, new DicomReadOptions { StopBeforePixelData = true }).Dataset;
        return (file, header.GetUid(DicomTag.SopInstanceUid)!, header.GetUid(DicomTag.StudyInstanceUid)!);
    }

    private static async Task<JsonElement> WaitForCompletedAsync(HttpClient api, string sop)
    {
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(45))
        {
            using var response = await api.GetAsync($"api/slides/{sop}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var body = JsonDocument.Parse(last).RootElement.Clone();
                var status = body.GetProperty("status").GetString();
                Assert.NotEqual("Failed", status);
                if (status == "Completed")
                {
                    return body;
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The slide was not analysed in time; last answer: {last}");
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
