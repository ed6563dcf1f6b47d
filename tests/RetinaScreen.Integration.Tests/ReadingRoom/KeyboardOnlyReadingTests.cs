using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>
/// A grader reads ten cases with the keyboard alone (docs/reading-room.md, "Keyboard"): after signing in, every step —
/// to the worklist, into a case, each eye's grade and DME, submitting, the next case, the key map — is a key press;
/// the page is only looked at, never clicked.
/// </summary>
[Collection(ReadingRoomCollection.Name)]
public sealed class KeyboardOnlyReadingTests(SingleReadHost host) : IClassFixture<SingleReadHost>, IAsyncLifetime
{
    private const string Password = "Reading-Room-Pass-21!";
    private const string Grader = "keyboard.grader@clinic.test";
    private const int Cases = 10;

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-reading-keys-").FullName;
    private ReadingRoomBrowser? _browser;

    public async Task InitializeAsync() => _browser = await ReadingRoomBrowser.LaunchAsync();

    /// <summary>What the grader types for each patient: ICDR per eye and DME per eye, a different reading for each.</summary>
    private static (int Right, bool RightDme, int Left, bool LeftDme) Plan(int index) =>
        (index % 5, index % 4 == 3, (index * 2 + 1) % 5, index % 3 == 1);

    private static string Patient(int index) => $"RR-KEY-{index:00}";

    [Fact]
    public async Task REQ_READ_23_REQ_READ_25_a_grader_reads_ten_cases_with_the_keyboard_alone()
    {
        var browser = _browser!;
        using var admin = await host.LoginAsync();
        await ReadingRoomApi.CreateUserAsync(admin, Grader, Password, "Grader");

        var studies = new Dictionary<string, string>();
        for (var i = 0; i < Cases; i++)
        {
            var (study, _, _) = await ReadingRoomApi.SendFundusPairAsync(host, _work, Patient(i), seed: 2_300_001 + (10 * i), rightGrade: i % 5, leftGrade: (i + 2) % 5);
            studies[Patient(i)] = study;
        }

        foreach (var study in studies.Values)
        {
            await ReadingRoomApi.WaitForQueueAsync(admin, study, "Primary", TimeSpan.FromSeconds(120));
        }

        // Signing in is typed into the form; from here on the grader only presses keys.
        var page = await browser.SignInAsync(host, Grader, Password);
        var keyboard = page.Keyboard;

        // To the Primary worklist: Tab to its tab, Enter. The worklist focuses its first (most urgent) row.
        await Assertions.Expect(page.Locator("a[href='#/worklist?queue=Primary']")).ToBeVisibleAsync();
        await TabToAsync(page, "a[href='#/worklist?queue=Primary']");
        await keyboard.PressAsync("Enter");
        var rows = page.GetByRole(AriaRole.Table, new() { Name = "Worklist" }).Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(Cases);
        await page.WaitForFunctionAsync("() => document.activeElement?.matches('#worklist-body tr:first-child')");
        await keyboard.PressAsync("Enter");

        var read = new List<string>();
        for (var n = 0; n < Cases; n++)
        {
            // A case not read yet is open and claimed: which patient it is decides what the grader types.
            var unread = Enumerable.Range(0, Cases).Select(Patient).Except(read);
            await Assertions.Expect(page.Locator("#case-title")).ToHaveTextAsync(new Regex($"· ({string.Join('|', unread)})$"));
            await Assertions.Expect(page.Locator("#lease")).ToContainTextAsync("Lease");
            await Assertions.Expect(page.Locator("#submit-reading")).ToBeEnabledAsync();
            var title = await page.Locator("#case-title").InnerTextAsync();
            var index = Enumerable.Range(0, Cases).Single(i => title.EndsWith(Patient(i), StringComparison.Ordinal));
            read.Add(Patient(index));

            if (n == 0)
            {
                await PhotoChecks.ExpectPhotographsDrawnAsync(page, "Right eye", "Left eye");
                // "?" shows the key map over the case; Esc closes it and the keys work again.
                await keyboard.PressAsync("?");
                var map = page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" });
                await Assertions.Expect(map).ToBeVisibleAsync();
                await Assertions.Expect(map).ToContainTextAsync("ICDR grade 0…4 for the current eye");
                await ReadingRoomBrowser.ScreenshotAsync(page, "keyboard-map.png");
                await keyboard.PressAsync("Escape");
                await Assertions.Expect(map).ToBeHiddenAsync();
            }

            var plan = Plan(index);
            await keyboard.PressAsync((plan.Right + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (plan.RightDme)
            {
                await keyboard.PressAsync("m");
            }

            await keyboard.PressAsync("j");
            await keyboard.PressAsync((plan.Left + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (plan.LeftDme)
            {
                await keyboard.PressAsync("m");
            }

            // What the keys did is on the form: the grade of each eye checked, the referral computed from them.
            await Assertions.Expect(page.Locator($"input[name='right-grade'][value='{plan.Right}']")).ToBeCheckedAsync();
            await Assertions.Expect(page.Locator($"input[name='left-grade'][value='{plan.Left}']")).ToBeCheckedAsync();
            await Assertions.Expect(page.Locator("#computed-referral")).ToHaveTextAsync(ExpectedReferral(plan) == "Refer" ? "Refer" : "Rescreen in 12 months");

            // Submitted, and the case shown again as read (the page takes keys again once the button says so).
            await keyboard.PressAsync("Control+Enter");
            await Assertions.Expect(page.Locator("#case-status")).ToContainTextAsync("Reading submitted.");
            await Assertions.Expect(page.Locator("#submit-reading")).ToHaveTextAsync("Reading submitted");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Next case" })).ToBeVisibleAsync();
            await keyboard.PressAsync("n");
        }

        // After the tenth, "n" finds the queue empty and says so.
        await Assertions.Expect(page.Locator("#case-alert")).ToContainTextAsync("queue is empty");
        Assert.Equal(Cases, read.Distinct().Count());

        // Through the API: each case has one reading, by this grader, with exactly what was typed, and is final.
        foreach (var (patient, study) in studies)
        {
            var plan = Plan(int.Parse(patient[^2..], System.Globalization.CultureInfo.InvariantCulture));
            var body = await ReadingRoomApi.GetCaseAsync(admin, study);
            var readings = body.GetProperty("readings").EnumerateArray().ToList();
            var reading = Assert.Single(readings);
            Assert.Equal(Grader, reading.GetProperty("readerName").GetString());
            Assert.Equal("Primary", reading.GetProperty("queue").GetString());
            AssertEye(reading.GetProperty("right"), plan.Right, plan.RightDme);
            AssertEye(reading.GetProperty("left"), plan.Left, plan.LeftDme);
            Assert.Equal(ExpectedReferral(plan), reading.GetProperty("referral").GetString());
            Assert.Equal(JsonValueKind.Null, reading.GetProperty("overrideReason").ValueKind);
            Assert.Equal("Reviewed", body.GetProperty("status").GetString());
            Assert.Equal("Readers", body.GetProperty("final").GetProperty("source").GetString());
        }

        Assert.Empty(browser.ConsoleErrors);
    }

    private static string ExpectedReferral((int Right, bool RightDme, int Left, bool LeftDme) plan) =>
        plan.Right >= 2 || plan.Left >= 2 || plan.RightDme || plan.LeftDme ? "Refer" : "Rescreen";

    private static void AssertEye(JsonElement eye, int grade, bool dme)
    {
        Assert.Equal(grade, eye.GetProperty("grade").GetInt32());
        Assert.Equal(dme, eye.GetProperty("dme").GetBoolean());
        Assert.False(eye.GetProperty("ungradable").GetBoolean());
    }

    /// <summary>Presses Tab until the element matching <paramref name="selector"/> has the focus (at most 30 presses).</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var presses = 0; presses < 30; presses++)
        {
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector))
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Fail($"Tab never reached {selector}.");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        Directory.Delete(_work, recursive: true);
    }
}
