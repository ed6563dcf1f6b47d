using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>
/// A double-read fundus case through the portal as three people use it, each in their own browser: two graders read
/// both eyes independently and disagree, the case goes to adjudication, and the adjudicator, who sees both readings
/// compared beside the model's output, settles it.
/// </summary>
[Collection(ReadingRoomCollection.Name)]
public sealed class DoubleReadingAdjudicationTests(DoubleReadHost host) : IAsyncLifetime
{
    private const string Password = "Reading-Room-Pass-20!";
    private const string FirstGrader = "grader.one@clinic.test";
    private const string SecondGrader = "grader.two@clinic.test";
    private const string Adjudicator = "adjudicator@clinic.test";
    private const string PatientId = "RR-ADJ-0001";

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-reading-adj-").FullName;
    private ReadingRoomBrowser? _browser;

    public async Task InitializeAsync() => _browser = await ReadingRoomBrowser.LaunchAsync();

    [Fact]
    public async Task REQ_READ_20_REQ_READ_21_REQ_READ_25_discordant_double_reading_in_two_browsers_is_adjudicated_beside_the_model_and_audited()
    {
        var browser = _browser!;
        using var admin = await host.LoginAsync();
        await ReadingRoomApi.CreateUserAsync(admin, FirstGrader, Password, "Grader");
        await ReadingRoomApi.CreateUserAsync(admin, SecondGrader, Password, "Grader");
        await ReadingRoomApi.CreateUserAsync(admin, Adjudicator, Password, "Adjudicator");

        var (study, _, _) = await ReadingRoomApi.SendFundusPairAsync(host, _work, PatientId, seed: 2_000_001, rightGrade: 3, leftGrade: 0);
        var waiting = await ReadingRoomApi.WaitForQueueAsync(admin, study, "Primary");
        var modelRight = waiting.GetProperty("eyes").EnumerateArray().Single(e => e.GetProperty("laterality").GetString() == "R")
            .GetProperty("images")[0].GetProperty("model");

        // First grader: Primary worklist → open → both eyes drawn, heatmaps on → right 0, left 0 (rescreen).
        var first = await browser.SignInAsync(host, FirstGrader, Password);
        await OpenFromWorklistAsync(first, "Primary review");
        await ReadingRoomBrowser.ScreenshotAsync(first, "worklist.png");
        await OpenCaseAsync(first);
        await Assertions.Expect(first.Locator("#ctl-heatmap")).ToBeCheckedAsync();
        await PhotoChecks.ExpectPhotographsDrawnAsync(first, "Right eye", "Left eye");
        await PhotoChecks.ExpectHeatmapsShownAsync(first, "Right eye", "Left eye");
        await first.GetByLabel("Right eye ICDR 0 No DR", new() { Exact = true }).CheckAsync();
        await first.GetByLabel("Left eye ICDR 0 No DR", new() { Exact = true }).CheckAsync();
        await Assertions.Expect(first.Locator("#computed-referral")).ToHaveTextAsync("Rescreen in 12 months");
        await ReadingRoomBrowser.ScreenshotAsync(first, "case-view.png");
        await SubmitAsync(first);
        Assert.Equal("SecondRead", (await ReadingRoomApi.GetCaseAsync(admin, study)).GetProperty("queue").GetString());

        // Second grader, independently: the Second read worklist → right 3 (severe NPDR), left 0 (refer).
        var second = await browser.SignInAsync(host, SecondGrader, Password);
        await OpenFromWorklistAsync(second, "Second read");
        await OpenCaseAsync(second);
        await PhotoChecks.ExpectPhotographsDrawnAsync(second, "Right eye", "Left eye");
        await Assertions.Expect(second.Locator("#comparison")).ToBeHiddenAsync(); // a grader never sees the other reading
        await second.GetByLabel("Right eye ICDR 3 Severe NPDR", new() { Exact = true }).CheckAsync();
        await second.GetByLabel("Left eye ICDR 0 No DR", new() { Exact = true }).CheckAsync();
        await Assertions.Expect(second.Locator("#computed-referral")).ToHaveTextAsync("Refer");
        await SubmitAsync(second);
        Assert.Equal("Adjudication", (await ReadingRoomApi.GetCaseAsync(admin, study)).GetProperty("queue").GetString());

        // The adjudicator: the Adjudication worklist → both readings compared, the difference marked, the model beside.
        var adjudicator = await browser.SignInAsync(host, Adjudicator, Password);
        await OpenFromWorklistAsync(adjudicator, "Adjudication");
        await OpenCaseAsync(adjudicator);
        await Assertions.Expect(adjudicator.Locator("#reading-title")).ToHaveTextAsync("Your final reading (adjudication)");
        var right = adjudicator.GetByRole(AriaRole.Table, new() { Name = "Right eye readings compared" });
        await Assertions.Expect(right.Locator("thead th")).ToHaveTextAsync(
            ["Right eye", $"Reader 1: {FirstGrader}", $"Reader 2: {SecondGrader}", "Model", "Difference"]);
        var rightGrade = right.Locator("tbody tr", new() { Has = adjudicator.GetByRole(AriaRole.Rowheader, new() { Name = "ICDR grade" }) });
        var modelGrade = $"{modelRight.GetProperty("grade").GetInt32()} {modelRight.GetProperty("gradeName").GetString()}";
        await Assertions.Expect(rightGrade.Locator("td")).ToHaveTextAsync(["0 No DR", "3 Severe NPDR", modelGrade, "Differs"]);
        await Assertions.Expect(rightGrade).ToHaveClassAsync("differs");
        var leftGrade = adjudicator.GetByRole(AriaRole.Table, new() { Name = "Left eye readings compared" })
            .Locator("tbody tr", new() { Has = adjudicator.GetByRole(AriaRole.Rowheader, new() { Name = "ICDR grade" }) });
        await Assertions.Expect(leftGrade.Locator("td")).ToHaveTextAsync([Exactly("0 No DR"), Exactly("0 No DR"), new Regex(@"^(\d \S|—)"), Exactly("")]);
        await Assertions.Expect(leftGrade).Not.ToHaveClassAsync("differs");
        var referral = adjudicator.GetByRole(AriaRole.Table, new() { Name = "Patient readings compared" })
            .Locator("tbody tr", new() { Has = adjudicator.GetByRole(AriaRole.Rowheader, new() { Name = "Referral" }) });
        await Assertions.Expect(referral.Locator("td")).ToHaveTextAsync([Exactly("Rescreen in 12 months"), Exactly("Refer"), new Regex("^(Refer|Rescreen|Retake)$"), Exactly("Differs")]);
        await Assertions.Expect(adjudicator.GetByRole(AriaRole.Region, new() { Name = "What the model said, right eye" }))
            .ToContainTextAsync(modelRight.GetProperty("gradeName").GetString()!);
        await PhotoChecks.ExpectPhotographsDrawnAsync(adjudicator, "Right eye", "Left eye");
        await PhotoChecks.ExpectHeatmapsShownAsync(adjudicator, "Right eye", "Left eye");
        await ReadingRoomBrowser.ScreenshotAsync(adjudicator, "adjudication.png");
        await adjudicator.GetByLabel("Right eye ICDR 2 Moderate NPDR", new() { Exact = true }).CheckAsync();
        await adjudicator.GetByLabel("Left eye ICDR 0 No DR", new() { Exact = true }).CheckAsync();
        await adjudicator.GetByLabel("Comment", new() { Exact = true }).FillAsync("Moderate NPDR in the right eye; refer.");
        await SubmitAsync(adjudicator);

        // Through the API: adjudicated, the adjudicator's reading final, three readings, steps stamped in order.
        var final = await ReadingRoomApi.GetCaseAsync(admin, study);
        Assert.Equal("Adjudicated", final.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, final.GetProperty("queue").ValueKind);
        Assert.Equal("Adjudicator", final.GetProperty("final").GetProperty("source").GetString());
        Assert.Equal("Refer", final.GetProperty("final").GetProperty("referral").GetString());
        var readings = final.GetProperty("readings").EnumerateArray().ToList();
        Assert.Equal(["Primary", "SecondRead", "Adjudication"], readings.Select(r => r.GetProperty("queue").GetString()));
        Assert.Equal([FirstGrader, SecondGrader, Adjudicator], readings.Select(r => r.GetProperty("readerName").GetString()));
        Assert.Equal([0, 3, 2], readings.Select(r => r.GetProperty("right").GetProperty("grade").GetInt32()));
        Assert.Equal([0, 0, 0], readings.Select(r => r.GetProperty("left").GetProperty("grade").GetInt32()));
        Assert.Equal(["Rescreen", "Refer", "Refer"], readings.Select(r => r.GetProperty("referral").GetString()));
        Assert.Equal("Moderate NPDR in the right eye; refer.", readings[2].GetProperty("comment").GetString());

        var summary = await admin.GetFromJsonAsync<JsonElement>($"api/studies/{study}");
        Assert.Equal("Adjudicated", summary.GetProperty("status").GetString());
        var graded = summary.GetProperty("gradedAt").GetDateTimeOffset();
        var reviewed = summary.GetProperty("reviewedAt").GetDateTimeOffset();
        var finalised = final.GetProperty("final").GetProperty("finalisedAt").GetDateTimeOffset();
        Assert.True(graded <= reviewed, $"graded {graded:O} after reviewed {reviewed:O}");
        Assert.True(reviewed <= finalised, $"reviewed {reviewed:O} after adjudicated {finalised:O}");
        Assert.True(readings[1].GetProperty("submittedAt").GetDateTimeOffset() <= reviewed.AddMilliseconds(1));

        var database = new DatabaseProbe(Path.Combine(host.DataPath, "data"));
        var adjudicatedTicks = await database.CountAsync(
            "SELECT c.AdjudicatedAt FROM Screenings c JOIN Studies s ON s.Id = c.StudyId WHERE s.StudyInstanceUid = $uid", ("$uid", study));
        Assert.True(reviewed.UtcTicks <= adjudicatedTicks, "The case was adjudicated before it was reviewed.");

        // The audit trail: each reader opened the case and claimed it once, and three readings were submitted.
        foreach (var reader in new[] { FirstGrader, SecondGrader, Adjudicator })
        {
            Assert.True(await AuditAsync(database, study, "case.opened", reader) >= 1, $"No case.opened by {reader}");
            Assert.Equal(1, await AuditAsync(database, study, "case.claimed", reader));
            Assert.Equal(1, await AuditAsync(database, study, "reading.submitted", reader));
        }

        Assert.Equal(3, await database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE EntityId = $uid AND Action = 'reading.submitted'", ("$uid", study)));
        Assert.Equal(3, await database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE EntityId = $uid AND Action = 'case.claimed'", ("$uid", study)));

        Assert.Empty(browser.ConsoleErrors);
    }

    private static async Task OpenFromWorklistAsync(IPage page, string tab)
    {
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Worklists" }).GetByRole(AriaRole.Link, new() { Name = tab, Exact = true }).ClickAsync();
        var row = page.GetByRole(AriaRole.Table, new() { Name = "Worklist" }).Locator("tbody tr", new() { HasText = PatientId });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("Unclaimed");
        await Assertions.Expect(row).ToContainTextAsync("Clinic North");
    }

    private static async Task OpenCaseAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Open case {PatientId}" }).ClickAsync();
        await Assertions.Expect(page.Locator("#case-title")).ToContainTextAsync(PatientId);
        await Assertions.Expect(page.Locator("#lease")).ToContainTextAsync("Lease");
        await Assertions.Expect(page.Locator("#submit-reading")).ToBeEnabledAsync();
    }

    private static async Task SubmitAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit reading" }).ClickAsync();
        await Assertions.Expect(page.Locator("#case-status")).ToContainTextAsync("Reading submitted.");
        await Assertions.Expect(page.Locator("#submit-reading")).ToHaveTextAsync("Reading submitted");
        await Assertions.Expect(page.Locator("#reading-error")).ToBeHiddenAsync();
    }

    private static Regex Exactly(string text) => new($"^{Regex.Escape(text)}$");

    private static Task<long> AuditAsync(DatabaseProbe database, string study, string action, string actor) =>
        database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE EntityId = $uid AND Action = $action AND Actor = $actor",
            ("$uid", study), ("$action", action), ("$actor", actor));

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        Directory.Delete(_work, recursive: true);
    }
}
