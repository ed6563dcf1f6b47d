using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace RetinaScreen.Portal.Tests;

/// <summary>A portal with small sign-in budgets: 3 failed passwords per account and source, 12 requests per address.</summary>
public sealed class ThrottledPortal : IAsyncLifetime
{
    public const string AdminEmail = "chief@throttle.test";
    public const string AdminPassword = "Chief-Throttle-Passw0rd-1!";
    public const string GraderEmail = "grader@throttle.test";
    public const string GraderPassword = "Grader-Throttle-Passw0rd-1!";
    public const int FailuresPerAccountAndSource = 3;
    public const int PermitsPerAddress = 12;

    private PortalHost? host;

    public PortalHost Host => host ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        host = await PortalHost.StartAsync(new Dictionary<string, string?>
        {
            ["RetinaScreen:Bootstrap:AdminEmail"] = AdminEmail,
            ["RetinaScreen:Bootstrap:AdminPassword"] = AdminPassword,
            ["RetinaScreen:Portal:Login:FailuresPerAccountAndSource"] = FailuresPerAccountAndSource.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RetinaScreen:Portal:Login:FailureWindow"] = "00:10:00",
            ["RetinaScreen:Portal:Login:PermitsPerAddress"] = PermitsPerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RetinaScreen:Portal:Login:AddressWindow"] = "00:10:00",
        });

        // Set up from an address of its own, so that no test's address budget is spent here.
        using var setup = SourceAddress.ClientFrom(Host.Address, "127.0.0.1");
        using var login = await setup.PostAsJsonAsync("/api/auth/login", new { email = AdminEmail, password = AdminPassword });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<PortalHost.AccessTokens>())!.AccessToken;
        using var admin = Host.CreateClient(token);
        await Host.CreateUserAsync(admin, GraderEmail, GraderPassword, "Grader");
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}

/// <summary>Sign-in cannot be guessed at speed, cannot be used to keep someone out, and does not say which accounts exist.</summary>
public sealed class SignInThrottleTests(ThrottledPortal portal) : IClassFixture<ThrottledPortal>
{
    [Fact]
    public async Task REQ_SEC_14_Unknown_account_wrong_password_and_disabled_account_get_the_same_answer()
    {
        const string disabledEmail = "disabled@throttle.test";
        const string disabledPassword = "Disabled-Throttle-Passw0rd-1!";
        using (var admin = await portal.Host.SignedInClientAsync(ThrottledPortal.AdminEmail, ThrottledPortal.AdminPassword))
        {
            var user = await portal.Host.CreateUserAsync(admin, disabledEmail, disabledPassword, "Grader");
            using var disabled = await admin.PostAsync($"/api/admin/users/{user.GetProperty("id").GetString()}/disable", null);
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        }

        using var client = SourceAddress.ClientFrom(portal.Host.Address, "127.0.0.21");
        var answers = new List<(HttpStatusCode Status, string Body)>();
        foreach (var (email, password) in new[]
        {
            ("nobody-here@throttle.test", "Whatever-Passw0rd-1!"),
            (ThrottledPortal.GraderEmail, "Wrong-Throttle-Passw0rd-1!"),
            (disabledEmail, disabledPassword),
        })
        {
            using var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
            answers.Add((response.StatusCode, Comparable(await response.Content.ReadAsStringAsync())));
        }

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.Unauthorized, answer.Status));
        Assert.Single(answers.Select(answer => answer.Body).Distinct());
        Assert.DoesNotContain("Locked", answers[0].Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task REQ_SEC_13_Failed_passwords_pause_that_source_for_that_account_with_429_and_Retry_After()
    {
        using var attacker = SourceAddress.ClientFrom(portal.Host.Address, "127.0.0.22");
        for (var attempt = 0; attempt < ThrottledPortal.FailuresPerAccountAndSource; attempt++)
        {
            using var wrong = await attacker.PostAsJsonAsync("/api/auth/login", new { email = ThrottledPortal.GraderEmail, password = $"Wrong-Guess-{attempt}-Passw0rd!" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Even the right password gets no answer from this source now: the pause tells nothing about a guess.
        using var paused = await attacker.PostAsJsonAsync("/api/auth/login", new { email = ThrottledPortal.GraderEmail, password = ThrottledPortal.GraderPassword });
        Assert.Equal(HttpStatusCode.TooManyRequests, paused.StatusCode);
        Assert.Equal("application/problem+json", paused.Content.Headers.ContentType?.MediaType);
        var retryAfter = paused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        var problem = await paused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());

        // An unknown account is paused exactly alike, so the pause says nothing about which accounts exist.
        for (var attempt = 0; attempt < ThrottledPortal.FailuresPerAccountAndSource; attempt++)
        {
            using var wrong = await attacker.PostAsJsonAsync("/api/auth/login", new { email = "ghost@throttle.test", password = $"Wrong-Guess-{attempt}-Passw0rd!" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var ghost = await attacker.PostAsJsonAsync("/api/auth/login", new { email = "ghost@throttle.test", password = "Another-Guess-Passw0rd!" });
        Assert.Equal(HttpStatusCode.TooManyRequests, ghost.StatusCode);
        Assert.Equal(Comparable(await paused.Content.ReadAsStringAsync()), Comparable(await ghost.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task REQ_SEC_15_Anonymous_failures_from_elsewhere_never_keep_the_administrator_out()
    {
        using var attacker = SourceAddress.ClientFrom(portal.Host.Address, "127.0.0.23");
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var wrong = await attacker.PostAsJsonAsync("/api/auth/login", new { email = ThrottledPortal.AdminEmail, password = $"Admin-Guess-{attempt}-Passw0rd!" });
            statuses.Add(wrong.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.DoesNotContain(HttpStatusCode.OK, statuses);

        using var workstation = SourceAddress.ClientFrom(portal.Host.Address, "127.0.0.24");
        using var login = await workstation.PostAsJsonAsync("/api/auth/login", new { email = ThrottledPortal.AdminEmail, password = ThrottledPortal.AdminPassword });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var lockoutEnd = await portal.Host.WithDbAsync(db => db.Users.Where(user => user.Email == ThrottledPortal.AdminEmail).Select(user => user.LockoutEnd).SingleAsync());
        Assert.Null(lockoutEnd);
    }

    [Fact]
    public async Task REQ_SEC_13_One_address_gets_a_limited_number_of_sign_in_requests()
    {
        using var client = SourceAddress.ClientFrom(portal.Host.Address, "127.0.0.25");
        var statuses = new List<HttpStatusCode>();
        // A different account each time: only the per-address budget can stop this.
        for (var attempt = 0; attempt <= ThrottledPortal.PermitsPerAddress; attempt++)
        {
            using var response = await client.PostAsJsonAsync("/api/auth/login", new { email = $"spray-{attempt}@throttle.test", password = "Spray-Passw0rd-1!" });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter?.Delta);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, ThrottledPortal.PermitsPerAddress), statuses.Take(ThrottledPortal.PermitsPerAddress));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);

        // Refresh shares the budget: it is a credential exchange too.
        using var refresh = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "not-a-token" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refresh.StatusCode);

        using var elsewhere = SourceAddress.ClientFrom(portal.Host.Address, "127.0.0.26");
        using var other = await elsewhere.PostAsJsonAsync("/api/auth/login", new { email = ThrottledPortal.GraderEmail, password = ThrottledPortal.GraderPassword });
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    /// <summary>The problem body without its trace id, which differs on every request by design.</summary>
    private static string Comparable(string body)
    {
        using var document = JsonDocument.Parse(body);
        return JsonSerializer.Serialize(document.RootElement.EnumerateObject()
            .Where(property => property.Name != "traceId")
            .ToDictionary(property => property.Name, property => property.Value.ToString()));
    }
}
