using System.Net.Http.Json;
using Microsoft.Playwright;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Portal;

/// <summary>
/// The whole first slice as a clinic sees it: DCMTK's storescu sends a photograph to the real host, an
/// administrator creates a grader account, and the grader finds the graded screening in the portal (Debian's
/// Chromium, driven by Playwright).
/// </summary>
public sealed class PortalShowsGradedScreeningTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IAsyncLifetime
{
    private const string GraderEmail = "grader@clinic.test";
    private const string GraderPassword = "Grader-Integration-Pass-7!";
    private static readonly string[] GraderRoles = ["Grader"];
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-portal-e2e-").FullName;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [Fact]
    public async Task REQ_UI_01_REQ_ING_01_Grader_sees_the_photograph_storescu_sent_graded_in_the_portal()
    {
        // A photograph with proliferative DR: whatever the model's exact grade, the case must appear graded.
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 930_001, grade: 4), Path.Combine(_work, "pdr.dcm"), "R", "IT-PORTAL-1");
        var study = await TestImages.ReadStudyInstanceUidAsync(file);
        var store = await ExternalTool.RunAsync("storescu", ["-xy", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(), file]);
        Assert.True(store.ExitCode == 0, store.Output);

        using var admin = await host.LoginAsync();
        await EmbeddedHost.CreateUserAsync(admin, GraderEmail, GraderPassword, GraderRoles);

        var grade = await WaitForWorstGradeAsync(admin, study);

        var page = await (await _browser!.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(host.BaseAddress.ToString());
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(GraderEmail);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(GraderPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        var row = page.GetByRole(AriaRole.Table, new() { Name = "Screenings" }).Locator("tbody tr", new() { HasText = "IT-PORTAL-1" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        var cells = await row.Locator("td").AllInnerTextsAsync();
        Assert.Contains(cells, c => c is "Graded" or "Awaiting review");
        string[] icdr = ["No DR", "Mild NPDR", "Moderate NPDR", "Severe NPDR", "PDR"];
        Assert.Contains(icdr[grade], cells);
    }

    private static async Task<int> WaitForWorstGradeAsync(HttpClient api, string study)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var body = await api.GetFromJsonAsync<System.Text.Json.JsonElement>($"api/studies/{study}");
            if (body.GetProperty("worstGrade").ValueKind == System.Text.Json.JsonValueKind.Number)
            {
                return body.GetProperty("worstGrade").GetInt32();
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The study was not graded in time.");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
