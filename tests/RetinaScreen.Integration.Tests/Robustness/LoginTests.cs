using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>The embedded host with a small budget of wrong passwords per account and source.</summary>
public sealed class LoginHost : EmbeddedHost
{
    public const int FailuresPerAccountAndSource = 3;

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Portal__Login__FailuresPerAccountAndSource"] = FailuresPerAccountAndSource.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Hostile sign-ins and revoked sessions against the real host process; it keeps serving.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class LoginTests(LoginHost host) : IClassFixture<LoginHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-logins-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_SEC_15_A_stranger_hammering_the_administrator_from_elsewhere_does_not_keep_them_out()
    {
        using var attacker = ClientFrom("127.0.0.2");
        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var attempt = 0; attempt < 12; attempt++)
        {
            using var wrong = await attacker.PostAsJsonAsync("api/auth/login", new { email = EmbeddedHost.AdminEmail, password = $"Guess-{attempt}-Passphrase!" });
            statuses.Add(wrong.StatusCode);
            retryAfter ??= wrong.Headers.RetryAfter?.ToString();
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, LoginHost.FailuresPerAccountAndSource), statuses.Take(LoginHost.FailuresPerAccountAndSource));
        Assert.All(statuses.Skip(LoginHost.FailuresPerAccountAndSource), status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
        Assert.NotNull(retryAfter);

        using var admin = await host.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/admin/users")).StatusCode);

        await HostStillServes.AssertAsync(host, _work, seed: 964_001);
    }

    [Fact]
    public async Task REQ_SEC_10_Logout_and_disable_end_sessions_on_the_real_host_and_its_files_and_answers_keep_patient_data_private()
    {
        const string email = "logins-grader@clinic.test";
        const string password = "Logins-Grader-Passphrase-1!";
        using var admin = await host.LoginAsync();
        await EmbeddedHost.CreateUserAsync(admin, email, password, "Grader");

        // Logout ends the access token and its refresh token.
        var (access, refresh) = await TokensAsync(email, password);
        using (var grader = Bearer(access))
        {
            Assert.Equal(HttpStatusCode.OK, (await grader.GetAsync("api/screenings")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await grader.PostAsync("api/auth/logout", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await grader.GetAsync("api/screenings")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(refresh));

        // Disabling ends a fresh session too, and its refresh.
        (access, refresh) = await TokensAsync(email, password);
        var users = await admin.GetFromJsonAsync<JsonElement>("api/admin/users");
        var id = users.EnumerateArray().Single(user => user.GetProperty("email").GetString() == email).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"api/admin/users/{id}/disable", null)).StatusCode);
        using (var grader = Bearer(access))
        {
            var answer = await grader.GetAsync("api/screenings");
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            Assert.True(answer.Headers.CacheControl?.NoStore);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(refresh));

        // Answers are not stored; files are the service account's alone; keys are not in clear.
        using (var screenings = await admin.GetAsync("api/screenings"))
        {
            Assert.Equal(HttpStatusCode.OK, screenings.StatusCode);
            Assert.True(screenings.Headers.CacheControl?.NoStore);
            Assert.Contains(screenings.Headers.Pragma, pragma => pragma.Name == "no-cache");
        }

        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var database = Path.Combine(DataFolder, "retinascreen.db");
        Assert.Equal(folder, File.GetUnixFileMode(DataFolder));
        Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(DataFolder, "objects")));
        Assert.Equal(file, File.GetUnixFileMode(database));
        Assert.Equal(file, File.GetUnixFileMode(database + "-wal"));
        Assert.Equal(file, File.GetUnixFileMode(Path.Combine(DataFolder, "keys", "sign-in-keys.pfx")));
        var probe = new DatabaseProbe(DataFolder);
        Assert.True(await probe.CountAsync("SELECT COUNT(*) FROM DataProtectionKeys") > 0);
        Assert.Equal(0, await probe.CountAsync("SELECT COUNT(*) FROM DataProtectionKeys WHERE Xml NOT LIKE '%encryptedSecret%' OR Xml LIKE '%<masterKey%'"));
        Assert.Equal(1, await probe.CountAsync("SELECT COUNT(*) FROM AuditEvents WHERE Action = 'user.logout' AND EntityId = $id", ("$id", id!)));
        Assert.Equal(1, await probe.CountAsync("SELECT COUNT(*) FROM AuditEvents WHERE Action = 'user.disabled' AND EntityId = $id", ("$id", id!)));

        await HostStillServes.AssertAsync(host, _work, seed: 964_002);
    }

    private async Task<(string Access, string Refresh)> TokensAsync(string email, string password)
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        using var login = await anonymous.PostAsJsonAsync("api/auth/login", new { email, password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
        return (tokens.GetProperty("accessToken").GetString()!, tokens.GetProperty("refreshToken").GetString()!);
    }

    private async Task<HttpStatusCode> RefreshAsync(string refreshToken)
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        using var response = await anonymous.PostAsJsonAsync("api/auth/refresh", new { refreshToken });
        return response.StatusCode;
    }

    private HttpClient Bearer(string accessToken)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    /// <summary>A client whose connections leave from another loopback address: another workstation to the host.</summary>
    private HttpClient ClientFrom(string source)
    {
        var local = IPAddress.Parse(source);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = host.BaseAddress };
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
