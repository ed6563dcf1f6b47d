using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Distributed.Tests.Infrastructure;

/// <summary>
/// The distributed mode as separate processes: one ingest, two inference workers and the portal, over a fresh
/// PostgreSQL database and a fresh RabbitMQ virtual host, sharing one object folder. One per test class.
/// </summary>
public class DistributedSystem : IAsyncLifetime
{
    public const string AdminEmail = "admin@distributed.test";
    public const string AdminPassword = "Distributed-Test-Passphrase-1!";

    private readonly string _name = "rs_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _root = Directory.CreateTempSubdirectory("retinascreen-dist-").FullName;
    private readonly Dictionary<string, int> _httpPorts = [];
    private readonly List<RoleProcess> _roles = [];

    public string ConnectionString { get; private set; } = "";
    public int DicomPort { get; } = FreePort.Next();
    public string VirtualHost => _name;
    internal RoleProcess Ingest => _roles.Single(r => r.Name == "ingest");
    internal IReadOnlyList<RoleProcess> Workers => [.. _roles.Where(r => r.Name.StartsWith("inference", StringComparison.Ordinal))];
    internal RoleProcess Portal => _roles.Single(r => r.Name == "portal");
    public Uri PortalAddress => new($"http://127.0.0.1:{_httpPorts["portal"]}/");
    public string ObjectsPath => Path.Combine(_root, "objects");

    /// <summary>How long the fixture took to reach ready (reported by the tests: the machine's load shows here first).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Settings a derived fixture adds to (or overrides in) a role's environment.</summary>
    protected virtual IReadOnlyDictionary<string, string> RoleEnvironment(string role, int httpPort) => new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        ConnectionString = await TestServices.CreateDatabaseAsync(_name);
        await TestServices.CreateVirtualHostAsync(_name);
        await MigrateAsync();

        AddRole("ingest", "RetinaScreen.Ingest");
        AddRole("inference-1", "RetinaScreen.Inference");
        AddRole("inference-2", "RetinaScreen.Inference");
        AddRole("portal", "RetinaScreen.Portal");
        foreach (var role in _roles)
        {
            role.Start();
        }

        foreach (var role in _roles)
        {
            await role.WaitReadyAsync(_httpPorts[role.Name], TimeSpan.FromSeconds(120));
        }

        StartupTime = clock.Elapsed;
    }

    /// <summary><c>retinascreen migrate</c>, the distributed mode's only schema step.</summary>
    private async Task MigrateAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepositoryPaths.CliDll);
        start.ArgumentList.Add("migrate");
        start.Environment["RetinaScreen__Database__Provider"] = "PostgreSql";
        start.Environment["ConnectionStrings__RetinaScreen"] = ConnectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"retinascreen migrate failed: {await output}{await error}");
        }
    }

    private void AddRole(string name, string project)
    {
        var port = FreePort.Next();
        _httpPorts[name] = port;
        var rabbit = TestServices.Rabbit;
        var environment = new Dictionary<string, string>
        {
            // The same variables as docker-compose.yml.
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["RetinaScreen__DataPath"] = Path.Combine(_root, name),
            ["RetinaScreen__Storage__Path"] = ObjectsPath,
            ["RetinaScreen__Database__Provider"] = "PostgreSql",
            ["ConnectionStrings__RetinaScreen"] = ConnectionString,
            ["RetinaScreen__Bus__Transport"] = "RabbitMq",
            ["RetinaScreen__Bus__RabbitMq__Host"] = rabbit.Host,
            ["RetinaScreen__Bus__RabbitMq__Port"] = rabbit.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RetinaScreen__Bus__RabbitMq__VirtualHost"] = _name,
            ["RetinaScreen__Bus__RabbitMq__Username"] = rabbit.User,
            ["RetinaScreen__Bus__RabbitMq__Password"] = rabbit.Password,
            // Short redelivery so that a poison message reaches _error within the test's time.
            ["RetinaScreen__Bus__RedeliveryIntervals__0"] = "00:00:01",
            ["RetinaScreen__Dicom__Port"] = DicomPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RetinaScreen__Dicom__BindAddress"] = "127.0.0.1",
            // The tests send from unregistered AE titles.
            ["RetinaScreen__Ingest__RequireRegisteredDevices"] = "false",
            // Every sender is 127.0.0.1, and the race tests open dozens of associations at once.
            ["RetinaScreen__Dicom__MaxAssociationsPerPeer"] = "1000",
            ["RetinaScreen__Inference__IntraOpThreads"] = "1",
            ["RetinaScreen__Bootstrap__AdminEmail"] = AdminEmail,
            ["RetinaScreen__Bootstrap__AdminPassword"] = AdminPassword,
            // Every test signs in from 127.0.0.1: no sign-in budget per address is meant to bind here.
            ["RetinaScreen__Portal__Login__PermitsPerAddress"] = "10000",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };
        foreach (var (key, value) in RoleEnvironment(name, port))
        {
            environment[key] = value;
        }

        _roles.Add(new RoleProcess(name, project, environment, Path.Combine(_root, name)));
    }

    internal async Task RestartAsync(RoleProcess role)
    {
        role.KillHard();
        role.Start();
        await role.WaitReadyAsync(_httpPorts[role.Name], TimeSpan.FromSeconds(120));
    }

    internal async Task StartAsync(RoleProcess role)
    {
        role.Start();
        await role.WaitReadyAsync(_httpPorts[role.Name], TimeSpan.FromSeconds(120));
    }

    /// <summary>
    /// Both eyes of each visit (right then left, one study), as a camera sends them: back to back. About one eye in
    /// ten is ungradable and grades vary, so a study's aggregate depends on both of its predictions.
    /// </summary>
    public IReadOnlyList<string> WriteTwoEyeStudies(int studies, int seedBase)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, $"studies-{seedBase}")).FullName;
        var paths = new List<string>(studies * 2);
        for (var i = 0; i < studies; i++)
        {
            var visit = SyntheticVisit.Create(seedBase * 10_000 + i);
            foreach (var (eye, number) in new[] { ("R", 1), ("L", 2) })
            {
                var image = FundusSynthesizer.Generate(seedBase + i * 2 + number, new FundusSpec { Size = 256, UngradableFraction = 0.1, Laterality = eye });
                var path = Path.Combine(folder, $"{i:D4}-{eye}.dcm");
                OphthalmicPhotographWriter.Create(image, visit, number).Save(path);
                paths.Add(path);
            }
        }

        return paths;
    }

    /// <summary>Synthetic Ophthalmic Photography files, small (256 px) to keep the tests fast, each its own visit.</summary>
    public IReadOnlyList<string> WriteImages(int count, int seedBase)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, $"images-{seedBase}")).FullName;
        var images = Enumerable.Range(0, 8)
            .Select(i => FundusSynthesizer.Generate(seedBase + i, new FundusSpec { Size = 256, UngradableFraction = 0 }))
            .ToList();
        var paths = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var visit = SyntheticVisit.Create(seedBase * 10_000 + i);
            var path = Path.Combine(folder, $"{i:D4}.dcm");
            OphthalmicPhotographWriter.Create(images[i % images.Count], visit, 1).Save(path);
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>
    /// Sends from <paramref name="senders"/> parallel cameras, a few images per association; returns the SOP Instance
    /// UIDs answered with success. Like a camera, a sender whose association cannot even be opened (ingest down or
    /// restarting) tries the same batch again: nothing of it was sent. Images sent on an association that broke
    /// before their answer are not resent: the test checks that they are not half-recorded.
    /// </summary>
    public async Task<IReadOnlySet<string>> SendAsync(IReadOnlyList<string> files, int senders, SendProgress progress, CancellationToken cancellationToken = default)
    {
        var succeeded = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var client = new DicomClient(new DicomClientOptions { ConnectTimeout = TimeSpan.FromSeconds(5), ResponseTimeout = TimeSpan.FromSeconds(60) });
        var batches = files.Chunk(5).ToList();
        var next = -1;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            while (true)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= batches.Count)
                {
                    return;
                }

                while (true)
                {
                    try
                    {
                        var results = await client.StoreAsync("127.0.0.1", DicomPort, "RSCAMERA", "RETINASCREEN",
                            [.. batches[index].Select(DicomStoreItem.FromFile)], cancellationToken: cancellationToken);
                        foreach (var result in results.Where(r => r.IsSuccess))
                        {
                            succeeded[result.Item.SopInstanceUid] = true;
                        }

                        progress.Add(batches[index].Length);
                        break;
                    }
                    catch (Exception ex) when (DateTime.UtcNow < deadline &&
                        ex is DicomNetworkException or IOException or System.Net.Sockets.SocketException or TimeoutException)
                    {
                        // StoreAsync throws only when the association could not be opened: the batch was not sent.
                        await Task.Delay(250, cancellationToken);
                    }
                }
            }
        }));
        return succeeded.Keys.ToHashSet();
    }

    /// <summary>Waits until every recorded instance has a prediction and the outbox is empty.</summary>
    public async Task WaitForPipelineToSettleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var instances = await ScalarAsync("""SELECT count(*) FROM "Instances" """);
                var graded = await ScalarAsync("""SELECT count(DISTINCT "InstanceId") FROM "Predictions" """);
                var pending = await ScalarAsync("""SELECT count(*) FROM "OutboxMessages" WHERE "DispatchedAt" IS NULL""");
                last = $"{instances} instances, {graded} graded, {pending} outbox rows pending";
                if (instances == graded && pending == 0)
                {
                    return;
                }
            }
            catch (NpgsqlException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"The pipeline did not settle: {last}\n--- ingest\n{Tail(Ingest)}\n--- inference-1\n{Tail(Workers[0])}\n--- inference-2\n{Tail(Workers[1])}");
    }

    private static string Tail(RoleProcess role) => string.Join('\n', role.LogLines.TakeLast(40));

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<(string Uid, string StorageKey, string Sha256, long Predictions)>> InstancesAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT i."SopInstanceUid", i."StorageKey", i."Sha256", (SELECT count(*) FROM "Predictions" p WHERE p."InstanceId" = i."Id")
            FROM "Instances" i
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return rows;
    }

    /// <summary>How many gradings each worker logged (event "Graded an instance").</summary>
    internal IReadOnlyList<int> GradedPerWorker() =>
        [.. Workers.Select(w => w.LogLines.Count(line => line.Contains("Graded an instance", StringComparison.Ordinal)))];

    /// <summary>
    /// The checks every fault test ends with: each answered instance is recorded and graded exactly once, each
    /// recorded instance (answered or not) is complete, and its stored object is the one recorded.
    /// </summary>
    public async Task AssertNothingLostOrDoubledAsync(IReadOnlySet<string> answered)
    {
        var instances = await InstancesAsync();
        var byUid = instances.ToDictionary(i => i.Uid);
        var missing = answered.Where(uid => !byUid.ContainsKey(uid)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} instances answered with success are not recorded");
        Assert.All(instances, i => Assert.Equal(1, i.Predictions));
        foreach (var instance in instances)
        {
            var path = Path.Combine(ObjectsPath, instance.StorageKey);
            Assert.True(File.Exists(path), $"the object of a recorded instance is missing ({instance.StorageKey})");
        }

        // Nothing half-recorded: every instance row has its outbox row, and no outbox row lacks an instance.
        Assert.Equal(instances.Count, await ScalarAsync($"""SELECT count(*) FROM "OutboxMessages" WHERE "Type" = '{typeof(Contracts.ImageReceived).FullName}'"""));
        // Every case was routed once, its event written with the routing: none lost, none doubled by a redelivery.
        Assert.Equal(
            await ScalarAsync("""SELECT count(*) FROM "Screenings" """),
            await ScalarAsync($"""SELECT count(*) FROM "OutboxMessages" WHERE "Type" = '{typeof(Contracts.ScreeningGraded).FullName}'"""));
        Assert.Equal(0, await ScalarAsync("""SELECT count(*) FROM (SELECT 1 FROM "Predictions" GROUP BY "InstanceId", "ModelVersionId" HAVING count(*) > 1) AS doubled"""));
    }

    /// <summary>One line for the test output: how the grading went (to tell a slow machine from a stuck pipeline).</summary>
    public async Task<string> DescribeGradingAsync()
    {
        var perWorker = string.Join(", ", GradedPerWorker());
        var count = await ScalarAsync("""SELECT count(*) FROM "Predictions" """);
        var inference = await ScalarAsync("""SELECT coalesce(avg("InferenceMilliseconds"), 0)::bigint FROM "Predictions" """);
        var preprocess = await ScalarAsync("""SELECT coalesce(avg("PreprocessMilliseconds"), 0)::bigint FROM "Predictions" """);
        return $"{count} predictions (per worker: {perWorker}); mean preprocess {preprocess} ms, inference {inference} ms";
    }

    public Task<HttpClient> AdminClientAsync() => ClientAsync(AdminEmail, AdminPassword);

    /// <summary>A portal client signed in as <paramref name="email"/> (bearer token).</summary>
    public async Task<HttpClient> ClientAsync(string email, string password)
    {
        var http = new HttpClient { BaseAddress = PortalAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var login = await http.PostAsJsonAsync("api/auth/login", new { email, password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>
    /// Creates an account through the admin API and completes its first sign-in: a password an administrator gives
    /// is one-time, so the account is created with a temporary one and then sets <paramref name="password"/> itself.
    /// </summary>
    public async Task CreateUserAsync(string email, string password, params string[] roles)
    {
        var temporary = "Temporary-" + password;
        using (var admin = await AdminClientAsync())
        using (var created = await admin.PostAsJsonAsync("api/admin/users", new { email, password = temporary, roles }))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }

        using var user = await ClientAsync(email, temporary);
        using var changed = await user.PostAsJsonAsync("api/me/password", new { currentPassword = temporary, newPassword = password });
        Assert.Equal(System.Net.HttpStatusCode.NoContent, changed.StatusCode);
    }

    /// <summary>Rows of a query, each as its columns' values (DBNull as null).</summary>
    public async Task<IReadOnlyList<object?[]>> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async Task DisposeAsync()
    {
        // Kill every role first, whatever else fails: nothing started here may outlive the test class.
        foreach (var role in _roles)
        {
            role.Dispose();
        }

        try
        {
            await TestServices.DropDatabaseAsync(_name);
            await TestServices.DeleteVirtualHostAsync(_name);
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
