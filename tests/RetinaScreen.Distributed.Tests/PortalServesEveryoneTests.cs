using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Distributed.Tests.Infrastructure;

namespace RetinaScreen.Distributed.Tests;

/// <summary>The distributed mode with every case routed to a reader, so that the reading room has work.</summary>
public sealed class ReadingDistributedSystem : DistributedSystem
{
    protected override IReadOnlyDictionary<string, string> RoleEnvironment(string role, int httpPort) => new Dictionary<string, string>
    {
        ["RetinaScreen__Reading__QualitySampleFraction"] = "1",
        ["RetinaScreen__Reading__PathologySampleFraction"] = "1",
        ["RetinaScreen__Reading__SecondReadFraction"] = "0",
        ["RetinaScreen__Reading__BlindFraction"] = "0",
    };
}

/// <summary>
/// In the distributed mode (ingest, two inference workers and the portal as separate processes, over PostgreSQL and
/// RabbitMQ) people need the portal alone (REQ-READ-30): every user-facing endpoint — worklist, case view, claims and
/// readings, photographs, heatmaps, slide analyses, tiles and heatmaps, device administration — answers on the
/// portal's address, and a grader reads a case there in Chromium with the photograph drawn.
/// </summary>
public sealed class PortalServesEveryoneTests(ReadingDistributedSystem system) : IClassFixture<ReadingDistributedSystem>
{
    private const string GraderEmail = "grader@distributed.test";
    private const string PathologistEmail = "pathologist@distributed.test";
    private const string Password = "Distributed-Reader-Pass-9!";

    [Fact]
    public async Task REQ_READ_30_The_portal_alone_serves_every_endpoint_a_person_needs_in_the_distributed_mode()
    {
        // Two photographs of one visit and a small whole slide, through ingest's DICOM port.
        var photographs = system.WriteTwoEyeStudies(1, seedBase: 301);
        var slidePath = Path.Combine(Path.GetDirectoryName(photographs[0])!, "slide.dcm");
        WholeSlideWriter.Write(slidePath, SlideSynthesizer.Generate(302, SlideSpec.Default with { Width = 1024, Height = 1024 }), 302);
        var answered = await system.SendAsync([.. photographs, slidePath], senders: 1, new SendProgress());
        Assert.Equal(3, answered.Count);

        foreach (var (email, role) in new[] { (GraderEmail, "Grader"), (PathologistEmail, "Pathologist") })
        {
            await system.CreateUserAsync(email, Password, role);
        }

        using var admin = await system.AdminClientAsync();

        using var grader = await system.ClientAsync(GraderEmail, Password);
        using var pathologist = await system.ClientAsync(PathologistEmail, Password);
        var fundusCase = await WaitForWorklistAsync(grader, "Primary");
        var slideCase = await WaitForWorklistAsync(pathologist, "Pathology");

        // The case view, the photograph and its heatmap.
        var view = await grader.GetFromJsonAsync<JsonElement>($"api/cases/{fundusCase}");
        var images = view.GetProperty("eyes").EnumerateArray().SelectMany(eye => eye.GetProperty("images").EnumerateArray()).ToList();
        Assert.Equal(2, images.Count);
        foreach (var image in images)
        {
            await AssertServedAsync(grader, image.GetProperty("imageUrl").GetString()!, "image/jpeg");
            if (image.GetProperty("model").GetProperty("heatmapUrl").GetString() is { } heatmap)
            {
                await AssertServedAsync(grader, heatmap, "image/png");
            }
        }

        await AssertServedAsync(grader, $"api/studies/{fundusCase}", "application/json");
        await AssertServedAsync(grader, "api/screenings", "application/json");

        // The slide: its analysis, heatmap, descriptor and a tile at full resolution and at the lowest level.
        var slideView = await pathologist.GetFromJsonAsync<JsonElement>($"api/cases/{slideCase}");
        var slide = slideView.GetProperty("slides")[0];
        var sop = slide.GetProperty("sopInstanceUid").GetString()!;
        await AssertServedAsync(pathologist, $"api/slides/{sop}", "application/json");
        await AssertServedAsync(pathologist, slide.GetProperty("heatmapUrl").GetString()!, "image/png");
        var tiles = slide.GetProperty("tilesUrl").GetString()!;
        await AssertServedAsync(pathologist, $"{tiles}/{slide.GetProperty("maxLevel").GetInt32()}/0_0.jpg", "image/jpeg");
        await AssertServedAsync(pathologist, $"{tiles}/0/0_0.jpg", "image/jpeg");
        Assert.NotEmpty(slide.GetProperty("analysis").GetProperty("topRegions").EnumerateArray());

        // Device administration.
        using (var registered = await admin.PostAsJsonAsync("api/admin/devices", new { name = "Distributed camera", aeTitle = "DISTCAM" }))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        await AssertServedAsync(admin, "api/admin/devices", "application/json");

        // The pathologist reads the slide through the API; the grader reads the photographs in the browser.
        using (var claim = await pathologist.PostAsync($"api/cases/{slideCase}/claim", null))
        {
            Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        }

        using (var reading = await pathologist.PostAsJsonAsync($"api/cases/{slideCase}/readings", new { metastasis = false }))
        {
            Assert.Equal(HttpStatusCode.Created, reading.StatusCode);
        }

        await ReadInBrowserAsync(fundusCase);
        var final = await grader.GetFromJsonAsync<JsonElement>($"api/cases/{fundusCase}");
        Assert.Equal("Readers", final.GetProperty("final").GetProperty("source").GetString());
        Assert.Equal(1L, await system.ScalarAsync($"""SELECT count(*) FROM "Readings" r JOIN "Screenings" c ON c."Id" = r."ScreeningCaseId" JOIN "Studies" s ON s."Id" = c."StudyId" WHERE s."StudyInstanceUid" = '{fundusCase}'"""));
        Assert.True(await system.ScalarAsync("""SELECT count(*) FROM "AuditEvents" WHERE "Action" = 'case.opened'""") >= 3);
    }

    /// <summary>Chromium against the portal process: sign in, open the case from the worklist, see both photographs drawn, grade by keyboard, submit.</summary>
    private async Task ReadInBrowserAsync(string studyInstanceUid)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await (await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } })).NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add(error);

        await page.GotoAsync(system.PortalAddress.ToString());
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(GraderEmail);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();

        await page.GotoAsync(new Uri(system.PortalAddress, "#/worklist?queue=Primary").ToString());
        await page.GetByRole(AriaRole.Table, new() { Name = "Worklist" }).Locator($"tr[data-study-instance-uid='{studyInstanceUid}']").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Submit reading" })).ToBeVisibleAsync();

        // Both photographs reached OpenSeadragon through the portal's image endpoint and were drawn.
        await Assertions.Expect(page.Locator("[data-loaded='true']")).ToHaveCountAsync(2, new() { Timeout = 30_000 });

        // Grade both eyes by keyboard: right eye no DR, next eye, no DR, DME absent is the default; submit.
        await page.Locator("body").PressAsync("1");
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("1");
        await page.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Reading submitted" })).ToBeVisibleAsync(new() { Timeout = 15_000 });
        Assert.Empty(problems);
    }

    private static async Task AssertServedAsync(HttpClient client, string url, string contentType)
    {
        using var response = await client.GetAsync(url.TrimStart('/'));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.StartsWith(contentType, response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 0, url);
    }

    private async Task<string> WaitForWorklistAsync(HttpClient reader, string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var page = await reader.GetFromJsonAsync<JsonElement>($"api/worklist?queue={queue}");
            var items = page.GetProperty("items");
            if (items.GetArrayLength() > 0)
            {
                return items[0].GetProperty("studyInstanceUid").GetString()!;
            }

            last = string.Join(", ", (await system.RowsAsync("""SELECT "Kind", "Status", "Queue", "ImagesToGrade" FROM "Screenings" """)).Select(row => string.Join('/', row)));
            await Task.Delay(500);
        }

        throw new TimeoutException($"Nothing reached the {queue} queue; screenings: {last}");
    }
}
