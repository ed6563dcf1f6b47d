using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Numerics;
using System.Text.Json;
using Microsoft.Playwright;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>
/// Debian's Chromium driven by Playwright, one browser context per person (their own session storage, so their own
/// token), every page at 1440×900. Console errors and uncaught exceptions of every page are collected, so a CSP
/// violation or a failed image load fails the test that caused it.
/// </summary>
internal sealed class ReadingRoomBrowser : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _errors = new();
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ReadingRoomBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>What went to any page's console as an error, and any uncaught exception, prefixed with whose page.</summary>
    public IReadOnlyCollection<string> ConsoleErrors => [.. _errors];

    public static async Task<ReadingRoomBrowser> LaunchAsync()
    {
        // Expect's own default (5 s) is too short for a host grading photographs on a loaded two-core machine.
        Assertions.SetDefaultExpectTimeout(Ms(Patience));
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new ReadingRoomBrowser(playwright, browser);
    }

    /// <summary>A fresh context for <paramref name="email"/>, signed in through the form; returns once the portal shows them signed in.</summary>
    public async Task<IPage> SignInAsync(EmbeddedHost host, string email, string password)
    {
        var page = await NewPageAsync(email);
        await page.GotoAsync(host.BaseAddress.ToString());
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#session-user")).ToContainTextAsync(email, new() { Timeout = Ms(Patience) });
        return page;
    }

    public async Task<IPage> NewPageAsync(string who)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        context.SetDefaultTimeout(Ms(Patience));
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Enqueue($"{who}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _errors.Enqueue($"{who}: uncaught {error}");
        return page;
    }

    /// <summary>Saves a PNG of what the page shows into docs/screenshots/ of the repository.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "docs", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name), Type = ScreenshotType.Png, Animations = ScreenshotAnimations.Disabled });
    }

    public static float Ms(TimeSpan span) => (float)span.TotalMilliseconds;

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>What the reading-room tests send and ask the host, through the same doors a clinic and an administrator use.</summary>
internal static class ReadingRoomApi
{
    /// <summary>A new account with <paramref name="roles"/>, created by the administrator through the API, its one-time password already changed to <paramref name="password"/>.</summary>
    public static Task CreateUserAsync(HttpClient admin, string email, string password, params string[] roles) =>
        EmbeddedHost.CreateUserAsync(admin, email, password, roles);

    /// <summary>A new Study Instance UID (2.25 form: a UUID as one decimal number).</summary>
    public static string NewStudyUid()
    {
        var bytes = Guid.NewGuid().ToByteArray();
        return "2.25." + new BigInteger(bytes, isUnsigned: true).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// One visit: a photograph of each eye (img2dcm, one Study Instance UID) sent by storescu in one association.
    /// </summary>
    public static async Task<(string Study, string RightSop, string LeftSop)> SendFundusPairAsync(
        EmbeddedHost host, string work, string patientId, int seed, int rightGrade, int leftGrade, string site = "Clinic North")
    {
        var study = NewStudyUid();
        var right = await TestImages.Img2DcmOphthalmicAsync(
            TestImages.FundusJpeg(work, seed, rightGrade), Path.Combine(work, $"{seed}-R.dcm"), "R", patientId, study, site);
        var left = await TestImages.Img2DcmOphthalmicAsync(
            TestImages.FundusJpeg(work, seed + 1, leftGrade), Path.Combine(work, $"{seed}-L.dcm"), "L", patientId, study, site);
        Assert.Equal(study, await TestImages.ReadStudyInstanceUidAsync(right));
        Assert.Equal(study, await TestImages.ReadStudyInstanceUidAsync(left));
        var store = await ExternalTool.RunAsync("storescu",
            ["-xy", "-aet", "FUNDUSCAM", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), right, left]);
        Assert.True(store.ExitCode == 0, store.Output);
        return (study, await TestImages.ReadSopInstanceUidAsync(right), await TestImages.ReadSopInstanceUidAsync(left));
    }

    /// <summary>Waits until the models have answered and the screening module has put the case in <paramref name="queue"/>.</summary>
    public static async Task<JsonElement> WaitForQueueAsync(HttpClient admin, string study, string queue, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await admin.GetAsync($"api/cases/{study}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var body = JsonDocument.Parse(last).RootElement.Clone();
                if (body.GetProperty("queue").GetString() == queue)
                {
                    return body;
                }
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The case {study} did not reach the {queue} queue in time; last answer: {last}");
    }

    public static async Task<JsonElement> GetCaseAsync(HttpClient admin, string study)
    {
        using var response = await admin.GetAsync($"api/cases/{study}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
