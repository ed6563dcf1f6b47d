using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>
/// A pathologist reads a whole slide in the portal: the Pathology worklist, the slide drawn from the portal's Deep Zoom
/// tiles, the model's top regions one click (or one key) away, and a reading that finalises the case.
/// </summary>
[Collection(ReadingRoomCollection.Name)]
public sealed class PathologistSlideReadingTests(DoubleReadHost host) : IAsyncLifetime
{
    private const string Password = "Reading-Room-Pass-24!";
    private const string Pathologist = "pathologist.reader@clinic.test";

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-reading-slide-").FullName;
    private ReadingRoomBrowser? _browser;

    public async Task InitializeAsync() => _browser = await ReadingRoomBrowser.LaunchAsync();

    [Fact]
    public async Task REQ_READ_24_REQ_READ_25_pathologist_reads_a_slide_from_its_tiles_flies_to_the_top_regions_and_records_metastasis()
    {
        var browser = _browser!;
        using var admin = await host.LoginAsync();
        await ReadingRoomApi.CreateUserAsync(admin, Pathologist, Password, "Pathologist");

        // A small synthetic tumour slide (1024 px, 16 JPEG tiles), sent as a scanner would.
        const int seed = 2_400_001;
        var slide = SlideSynthesizer.Generate(seed, SlideSpec.Default with { Width = 1024, Height = 1024, Tumour = true });
        var file = Path.Combine(_work, "slide.dcm");
        WholeSlideWriter.Write(file, slide, seed);
        var header = DicomFile.Open(file, new DicomReadOptions { StopBeforePixelData = true }).Dataset;
        var study = header.GetUid(DicomTag.StudyInstanceUid)!;
        var patientId = header.GetString(DicomTag.PatientId)!;
        var store = await ExternalTool.RunAsync("storescu",
            ["-R", "-xy", "-aet", "SLIDESCANNER", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), file]);
        Assert.True(store.ExitCode == 0, store.Output);
        var waiting = await ReadingRoomApi.WaitForQueueAsync(admin, study, "Pathology", TimeSpan.FromSeconds(90));
        var regions = waiting.GetProperty("slides")[0].GetProperty("analysis").GetProperty("topRegions").EnumerateArray()
            .Select(r => new[] { r.GetProperty("x").GetInt32(), r.GetProperty("y").GetInt32(), r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32() })
            .ToList();
        Assert.True(regions.Count >= 2, waiting.ToString());

        // The Pathology worklist → open the case; the viewer fetches tiles from the portal and draws them.
        var page = await browser.SignInAsync(host, Pathologist, Password);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Worklists" }).GetByRole(AriaRole.Link, new() { Name = "Pathology", Exact = true }).ClickAsync();
        var row = page.GetByRole(AriaRole.Table, new() { Name = "Worklist" }).Locator("tbody tr", new() { HasText = patientId });
        await Assertions.Expect(row).ToContainTextAsync("positive");
        var tile = page.WaitForResponseAsync(r => r.Url.Contains("/tiles/", StringComparison.Ordinal), new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });
        await page.GetByRole(AriaRole.Button, new() { Name = $"Open case {patientId}" }).ClickAsync();
        var firstTile = await tile;
        Assert.Equal(200, firstTile.Status);
        Assert.Equal("image/jpeg", (await firstTile.HeaderValueAsync("content-type"))?.Split(';')[0]);

        await Assertions.Expect(page.Locator("#case-title")).ToContainTextAsync(patientId);
        await Assertions.Expect(page.Locator("#lease")).ToContainTextAsync("Lease");
        await Assertions.Expect(page.Locator("#slide-model-body")).ToContainTextAsync("Metastasis (model positive)");
        await page.WaitForFunctionAsync(
            """
            () => {
              const element = document.querySelector('.slide-viewer');
              const viewer = element && globalThis.OpenSeadragon?.getViewer(element);
              const item = viewer?.world.getItemAt(0);
              return Boolean(viewer && viewer.world.getItemCount() > 0 && item.getFullyLoaded() && viewer.drawer?.canvas);
            }
            """,
            null,
            new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });
        var regionButtons = page.GetByRole(AriaRole.List, new() { Name = "Top regions" }).GetByRole(AriaRole.Button);
        await Assertions.Expect(regionButtons).ToHaveCountAsync(regions.Count);

        // A click on the first region flies there; "]" flies on to the second.
        await regionButtons.Nth(0).ClickAsync();
        await ExpectViewerOnAsync(page, regions[0]);
        await Assertions.Expect(regionButtons.Nth(0)).ToHaveAttributeAsync("aria-current", "true");
        await page.Keyboard.PressAsync("]");
        await ExpectViewerOnAsync(page, regions[1]);
        await Assertions.Expect(regionButtons.Nth(1)).ToHaveAttributeAsync("aria-current", "true");
        await Assertions.Expect(page.Locator(".slide-viewer .region-outline")).ToBeVisibleAsync();
        await ReadingRoomBrowser.ScreenshotAsync(page, "slide-view.png");

        // The reading: metastasis present, its size, a comment.
        await page.GetByLabel("Metastasis present", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Macrometastasis", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Comment", new() { Exact = true }).FillAsync("Macrometastasis at the top region.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit reading" }).ClickAsync();
        await Assertions.Expect(page.Locator("#case-status")).ToContainTextAsync("Reading submitted.");
        await Assertions.Expect(page.Locator("#reading-error")).ToBeHiddenAsync();

        // Through the API: final on the pathologist's reading, the reading stored as given.
        var final = await ReadingRoomApi.GetCaseAsync(admin, study);
        Assert.Equal("Reviewed", final.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, final.GetProperty("queue").ValueKind);
        Assert.Equal("Readers", final.GetProperty("final").GetProperty("source").GetString());
        Assert.True(final.GetProperty("final").GetProperty("metastasis").GetBoolean());
        var reading = Assert.Single(final.GetProperty("readings").EnumerateArray().ToList());
        Assert.Equal("Pathology", reading.GetProperty("queue").GetString());
        Assert.Equal(Pathologist, reading.GetProperty("readerName").GetString());
        Assert.True(reading.GetProperty("metastasis").GetBoolean());
        Assert.Equal("Macrometastasis", reading.GetProperty("sizeCategory").GetString());
        Assert.Equal("Macrometastasis at the top region.", reading.GetProperty("comment").GetString());
        Assert.Equal(JsonValueKind.Null, reading.GetProperty("right").ValueKind);

        Assert.Empty(browser.ConsoleErrors);
    }

    /// <summary>
    /// The viewer, by OpenSeadragon's own account, now shows the region: its centre inside the visible bounds, near
    /// their middle, and zoomed in from the whole-slide view.
    /// </summary>
    private static async Task ExpectViewerOnAsync(IPage page, int[] region) =>
        await page.WaitForFunctionAsync(
            """
            ([x, y, width, height]) => {
              const viewer = globalThis.OpenSeadragon.getViewer(document.querySelector('.slide-viewer'));
              const centre = viewer.world.getItemAt(0).imageToViewportCoordinates(x + width / 2, y + height / 2);
              const bounds = viewer.viewport.getBounds(true);
              const home = viewer.viewport.getHomeBounds();
              const inside = bounds.x <= centre.x && centre.x <= bounds.x + bounds.width
                && bounds.y <= centre.y && centre.y <= bounds.y + bounds.height;
              const middle = bounds.getCenter();
              const near = Math.abs(middle.x - centre.x) < bounds.width * 0.2 && Math.abs(middle.y - centre.y) < bounds.height * 0.2;
              return inside && near && bounds.width < home.width * 0.8;
            }
            """,
            region,
            new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        Directory.Delete(_work, recursive: true);
    }
}
