using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data;
using RetinaScreen.Data.Storage;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (ephemeral port) composed the way the hosts compose it:
/// AddRetinaScreenData over a SQLite file in a temporary folder, a folder object store beside it, then AddPortal.
/// </summary>
public sealed class PortalHost : IAsyncDisposable
{
    private readonly bool ownsDataPath;

    private PortalHost(WebApplication app, Uri address, string dataPath, bool ownsDataPath, TestLoggerProvider logs)
    {
        App = app;
        Address = address;
        DataPath = dataPath;
        Logs = logs;
        this.ownsDataPath = ownsDataPath;
    }

    public WebApplication App { get; }
    public Uri Address { get; }
    public string DataPath { get; }
    public TestLoggerProvider Logs { get; }

    /// <param name="settings">Configuration on top of the test defaults (an empty value unsets a key).</param>
    /// <param name="seed">Runs against the migrated database before the server starts.</param>
    /// <param name="dataPath">An existing data folder to start on (a restart); a new temporary one when null.</param>
    public static async Task<PortalHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        Func<RetinaScreenDbContext, Task>? seed = null,
        string? dataPath = null)
    {
        var ownsDataPath = dataPath is null;
        dataPath ??= Directory.CreateTempSubdirectory("retinascreen-portal-tests-").FullName;

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = dataPath,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        var configuration = new Dictionary<string, string?>
        {
            ["RetinaScreen:Database:Provider"] = "Sqlite",
            ["RetinaScreen:DataPath"] = dataPath,
            // Unset unless a test sets them: the developer's environment must not leak into the bootstrap tests.
            ["RetinaScreen:Bootstrap:AdminEmail"] = "",
            ["RetinaScreen:Bootstrap:AdminPassword"] = "",
            // Every test signs in from 127.0.0.1; the sign-in throttle's own tests set their limits.
            ["RetinaScreen:Portal:Login:PermitsPerAddress"] = "10000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);

        var logs = new TestLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Host.UseDefaultServiceProvider(options =>
        {
            options.ValidateScopes = true;
            options.ValidateOnBuild = true;
        });

        builder.AddRetinaScreenData();
        // The folder store the hosts register for the embedded mode: images and tiles are read from it.
        builder.Services.AddSingleton<IObjectStore>(new FileObjectStore(Path.Combine(dataPath, "objects")));
        builder.AddPortal();

        var app = builder.Build();
        await app.Services.MigrateRetinaScreenDatabaseAsync(CancellationToken.None);
        if (seed is not null)
        {
            await using var scope = app.Services.CreateAsyncScope();
            await seed(scope.ServiceProvider.GetRequiredService<RetinaScreenDbContext>());
        }

        app.MapPortal();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            if (ownsDataPath)
            {
                Directory.Delete(dataPath, recursive: true);
            }

            throw;
        }

        // With port 0, the server's address list holds the port it actually bound.
        var address = new Uri(app.Urls.Single());
        return new PortalHost(app, address, dataPath, ownsDataPath, logs);
    }

    public HttpClient CreateClient(string? accessToken = null)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (accessToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        return client;
    }

    public async Task<HttpResponseMessage> LoginAsync(string email, string password)
    {
        using var client = CreateClient();
        return await client.PostAsJsonAsync("/api/auth/login", new { email, password });
    }

    /// <summary>Signs in and returns an HTTP client that carries the bearer token.</summary>
    public async Task<HttpClient> SignedInClientAsync(string email, string password)
    {
        using var response = await LoginAsync(email, password);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var tokens = await response.Content.ReadFromJsonAsync<AccessTokens>();
        Assert.NotNull(tokens);
        Assert.False(string.IsNullOrEmpty(tokens.AccessToken));
        return CreateClient(tokens.AccessToken);
    }

    /// <summary>
    /// Creates an account through the admin API and completes its first sign-in: a password an administrator gives
    /// is one-time, so the account is created with a temporary one and then sets <paramref name="password"/> itself.
    /// </summary>
    /// <returns>The created account, as the admin API answered.</returns>
    public async Task<System.Text.Json.JsonElement> CreateUserAsync(HttpClient admin, string email, string password, params string[] roles)
    {
        var temporary = "Temporary-" + password;
        using var created = await admin.PostAsJsonAsync("/api/admin/users", new { email, password = temporary, roles });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var user = await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        using var first = await SignedInClientAsync(email, temporary);
        using var changed = await first.PostAsJsonAsync("/api/me/password", new { currentPassword = temporary, newPassword = password });
        Assert.Equal(System.Net.HttpStatusCode.NoContent, changed.StatusCode);
        return user;
    }

    public async Task<T> WithDbAsync<T>(Func<RetinaScreenDbContext, Task<T>> action)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<RetinaScreenDbContext>());
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (ownsDataPath)
        {
            try
            {
                Directory.Delete(DataPath, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }
    }

    public sealed record AccessTokens(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken);
}
