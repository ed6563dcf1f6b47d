using Microsoft.Playwright;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>
/// Two graders open the same case from their worklists at the same moment: the portal claims before it shows a case,
/// so one reads it and the other is told, in an alert, that someone else holds it, and gets no reading form.
/// </summary>
[Collection(ReadingRoomCollection.Name)]
public sealed class ClaimRaceTests(DoubleReadHost host) : IAsyncLifetime
{
    private const string Password = "Reading-Room-Pass-22!";
    private const string PatientId = "RR-RACE-0001";
    private static readonly string[] Graders = ["racer.one@clinic.test", "racer.two@clinic.test"];

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-reading-race-").FullName;
    private ReadingRoomBrowser? _browser;

    public async Task InitializeAsync() => _browser = await ReadingRoomBrowser.LaunchAsync();

    [Fact]
    public async Task REQ_READ_22_two_graders_opening_one_case_at_once_one_reads_it_the_other_sees_the_409_and_no_form()
    {
        var browser = _browser!;
        using var admin = await host.LoginAsync();
        foreach (var grader in Graders)
        {
            await ReadingRoomApi.CreateUserAsync(admin, grader, Password, "Grader");
        }

        var (study, _, _) = await ReadingRoomApi.SendFundusPairAsync(host, _work, PatientId, seed: 2_200_001, rightGrade: 2, leftGrade: 1);
        await ReadingRoomApi.WaitForQueueAsync(admin, study, "Primary");

        var pages = new List<IPage>();
        foreach (var grader in Graders)
        {
            var page = await browser.SignInAsync(host, grader, Password);
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Worklists" })
                .GetByRole(AriaRole.Link, new() { Name = "Primary review", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Worklist" }).Locator("tbody tr", new() { HasText = PatientId }))
                .ToContainTextAsync("Unclaimed");
            pages.Add(page);
        }

        // Both press "Open" on the same row at the same moment.
        await Task.WhenAll(pages.Select(page => page.GetByRole(AriaRole.Button, new() { Name = $"Open case {PatientId}" }).ClickAsync()));

        // Each page settles on one outcome: the case view, or the worklist's alert.
        var outcomes = new List<bool>();
        foreach (var page in pages)
        {
            var settled = page.Locator("#case-view:not([hidden]) #lease:has-text('Lease'), #queue-error:not([hidden])");
            await Assertions.Expect(settled).ToHaveCountAsync(1);
            outcomes.Add(await page.Locator("#case-view").IsVisibleAsync());
        }

        Assert.Equal(1, outcomes.Count(reading => reading));
        var winner = pages[outcomes.IndexOf(true)];
        var loser = pages[outcomes.IndexOf(false)];
        var winnerEmail = Graders[outcomes.IndexOf(true)];

        // The winner holds the claim and reads: the case, the lease, an enabled form.
        await Assertions.Expect(winner.Locator("#case-title")).ToContainTextAsync(PatientId);
        await Assertions.Expect(winner.Locator("#submit-reading")).ToBeEnabledAsync();
        await Assertions.Expect(winner.GetByLabel("Right eye ICDR 0 No DR", new() { Exact = true })).ToBeEnabledAsync();
        await PhotoChecks.ExpectPhotographsDrawnAsync(winner, "Right eye", "Left eye");

        // The other reader is told why, in an alert, and is shown no reading form.
        var alert = loser.Locator("#queue-view").GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("Case is claimed by another reader");
        await Assertions.Expect(alert).ToContainTextAsync("Another reader is reading this case");
        await Assertions.Expect(loser.Locator("#case-view")).ToBeHiddenAsync();
        await Assertions.Expect(loser.Locator("#reading-form")).ToBeHiddenAsync();
        Assert.DoesNotContain("#/case/", loser.Url, StringComparison.Ordinal);
        // Its worklist, refreshed, shows the case as someone else's.
        await loser.GetByRole(AriaRole.Button, new() { Name = "Refresh worklist" }).ClickAsync();
        await Assertions.Expect(loser.GetByRole(AriaRole.Table, new() { Name = "Worklist" }).Locator("tbody tr", new() { HasText = PatientId }))
            .ToContainTextAsync("Another reader");

        // One holder in the database, the winner, and one claim in the audit trail.
        var database = new DatabaseProbe(Path.Combine(host.DataPath, "data"));
        Assert.Equal(1, await database.CountAsync(
            "SELECT COUNT(*) FROM Screenings c JOIN Studies s ON s.Id = c.StudyId JOIN AspNetUsers u ON u.Id = c.ClaimedById " +
            "WHERE s.StudyInstanceUid = $uid AND u.Email = $email",
            ("$uid", study), ("$email", winnerEmail)));
        Assert.Equal(1, await database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE EntityId = $uid AND Action = 'case.claimed'", ("$uid", study)));
        Assert.Equal(1, await database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE EntityId = $uid AND Action = 'case.claimed' AND Actor = $email",
            ("$uid", study), ("$email", winnerEmail)));

        // A refused claim is an expected answer, not an error: only the 409 itself may reach the loser's console.
        Assert.All(browser.ConsoleErrors, error => Assert.Contains("409", error, StringComparison.Ordinal));
        Assert.True(browser.ConsoleErrors.Count <= 1, string.Join('\n', browser.ConsoleErrors));
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
