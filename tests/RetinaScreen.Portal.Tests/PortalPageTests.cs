using Microsoft.Playwright;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// The portal pages in Debian's Chromium, driven by Playwright through their accessible names and roles.
/// No browser is downloaded: the executable is /usr/bin/chromium.
/// </summary>
[Collection(SeededPortalCollection.Name)]
public sealed class PortalPageTests(SeededPortal portal) : IAsyncLifetime
{
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
    }

    [Fact]
    public async Task REQ_UI_01_Signed_in_grader_sees_screenings_newest_first_with_grades()
    {
        var page = await NewPageAsync();
        var problems = CollectConsoleProblems(page);
        await page.GotoAsync(portal.Host.Address.ToString());

        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(SeededPortal.GraderEmail);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(SeededPortal.GraderPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        var table = page.GetByRole(AriaRole.Table, new() { Name = "Screenings" });
        var rows = table.Locator("tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);

        var patientIds = await rows.Locator("td:nth-child(2)").AllInnerTextsAsync();
        Assert.Equal(["PAT-0002", "PAT-0001", "PAT-0003"], patientIds);
        var grades = await rows.Locator("td:nth-child(4)").AllInnerTextsAsync();
        Assert.Equal(["No DR", "Moderate NPDR", "—"], grades);
        var statuses = await rows.Locator("td:nth-child(3)").AllInnerTextsAsync();
        Assert.Equal(["Graded", "Graded", "Received"], statuses);
        var referable = await rows.Locator("td:nth-child(5)").AllInnerTextsAsync();
        Assert.Equal(["No", "Refer (DR)", "Pending"], referable);

        // The token stays in this tab's session storage, and signing out forgets it.
        Assert.NotNull(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('retinascreen.auth')"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Email", new() { Exact = true })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('retinascreen.auth')"));

        Assert.Empty(problems);
    }

    [Fact]
    public async Task REQ_UI_01_Wrong_password_shows_a_clear_error()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(portal.Host.Address.ToString());

        await page.GetByLabel("Email", new() { Exact = true }).FillAsync(SeededPortal.ClumsyEmail);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("Not-My-Passw0rd!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Email or password is incorrect.");
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).Not.ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('retinascreen.auth')"));
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await browser!.NewContextAsync();
        return await context.NewPageAsync();
    }

    /// <summary>Console errors include content-security-policy violations: the pages must not need anything foreign.</summary>
    private static List<string> CollectConsoleProblems(IPage page)
    {
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add(message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add(error);
        return problems;
    }
}
