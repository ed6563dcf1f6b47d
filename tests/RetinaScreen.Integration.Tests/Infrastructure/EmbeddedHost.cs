using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RetinaScreen.Integration.Tests.Infrastructure;

/// <summary>
/// The real embedded host, started as its own process exactly as the README's run command would, on loopback
/// ports chosen for the test, with a fresh data folder. Nothing in it is replaced or mocked.
/// </summary>
public class EmbeddedHost : IAsyncLifetime
{
    public const string AdminEmail = "admin@clinic.test";
    public const string AdminPassword = "Integration-Test-Passphrase-1!";

    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    public string DataPath { get; } = Directory.CreateTempSubdirectory("retinascreen-it-").FullName;
    public int HttpPort { get; } = FreePort.Next();
    public int DicomPort { get; } = FreePort.Next();
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");
    public string Log => string.Join('\n', _log);

    public async Task InitializeAsync()
    {
        var dll = RepositoryPaths.HostDll;
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Build the solution first: {dll} is missing.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataPath,
        };
        start.ArgumentList.Add(dll);
        start.Environment["Urls"] = $"http://127.0.0.1:{HttpPort}";
        start.Environment["RetinaScreen__DataPath"] = Path.Combine(DataPath, "data");
        start.Environment["RetinaScreen__Dicom__Port"] = DicomPort.ToString();
        start.Environment["RetinaScreen__Dicom__BindAddress"] = "127.0.0.1";
        start.Environment["RetinaScreen__Bootstrap__AdminEmail"] = AdminEmail;
        start.Environment["RetinaScreen__Bootstrap__AdminPassword"] = AdminPassword;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Routing samples by Study Instance UID, and the tests' UIDs are new each run: no samples unless a test asks,
        // so a model-negative case is final on every run.
        start.Environment["RetinaScreen__Reading__QualitySampleFraction"] = "0";
        start.Environment["RetinaScreen__Reading__PathologySampleFraction"] = "0";
        start.Environment["RetinaScreen__Reading__SecondReadFraction"] = "0";
        start.Environment["RetinaScreen__Reading__BlindFraction"] = "0";
        if (AcceptsUnregisteredDevices)
        {
            // The tests send as DCMTK's default and their own AE titles; the shipped default refuses unregistered ones.
            start.Environment["RetinaScreen__Ingest__RequireRegisteredDevices"] = "false";
        }

        // Every test signs in from 127.0.0.1; the sign-in throttle's own tests set their limits.
        start.Environment["RetinaScreen__Portal__Login__PermitsPerAddress"] = "10000";
        foreach (var (name, value) in EnvironmentOverrides)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // HasExited does not wait for the redirected output; WaitForExitAsync does, so the log
                // holds the host's last words (the reason it stopped) and not only what had been read so far.
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync("health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow first start.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The host did not become ready:\n{Log}");
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The host's process id (for reading its memory from /proc).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("The host has not been started.");

    /// <summary>False leaves the product's default, which accepts only registered devices over DIMSE.</summary>
    protected virtual bool AcceptsUnregisteredDevices => true;

    /// <summary>Settings a derived fixture adds or replaces (environment variables of the host process).</summary>
    protected virtual IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>();

    public async Task<HttpClient> LoginAsync(string email = AdminEmail, string password = AdminPassword)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("api/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.RootElement.GetProperty("accessToken").GetString());
        return http;
    }

    /// <summary>
    /// Creates an account through the admin API and completes its first sign-in: a password an administrator gives
    /// is one-time, so the account is created with a temporary one and then sets <paramref name="password"/> itself.
    /// </summary>
    public static async Task CreateUserAsync(HttpClient admin, string email, string password, params string[] roles)
    {
        var temporary = "Temporary-" + password;
        using (var created = await admin.PostAsJsonAsync("api/admin/users", new { email, password = temporary, roles }))
        {
            Assert.True(created.IsSuccessStatusCode, $"Creating {email}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        using var user = new HttpClient { BaseAddress = admin.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using (var login = await user.PostAsJsonAsync("api/auth/login", new { email, password = temporary }))
        {
            Assert.True(login.IsSuccessStatusCode, $"First sign-in of {email}: {(int)login.StatusCode}");
            using var body = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
            user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.RootElement.GetProperty("accessToken").GetString());
        }

        using var changed = await user.PostAsJsonAsync("api/me/password", new { currentPassword = temporary, newPassword = password });
        Assert.True(changed.IsSuccessStatusCode, $"Password change of {email}: {(int)changed.StatusCode} {await changed.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
