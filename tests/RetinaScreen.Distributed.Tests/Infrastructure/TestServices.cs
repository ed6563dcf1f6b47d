using System.Diagnostics;
using Npgsql;

namespace RetinaScreen.Distributed.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL and RabbitMQ that tests/services/start.sh started (tests/run.sh does it). Without them these tests
/// fail: the distributed mode is exactly what they test, so there is nothing to skip to.
/// </summary>
internal static class TestServices
{
    public static string PostgresConnectionString => Require("RETINASCREEN_TEST_POSTGRES");

    public static RabbitSettings Rabbit
    {
        get
        {
            var parts = Require("RETINASCREEN_TEST_RABBITMQ").Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            return new RabbitSettings(parts["host"], int.Parse(parts["port"], System.Globalization.CultureInfo.InvariantCulture), parts["user"], parts["password"]);
        }
    }

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests through tests/run.sh, which starts PostgreSQL and RabbitMQ (tests/services/start.sh).");

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Database = name, MaxPoolSize = 20 }.ToString();
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public static Task CreateVirtualHostAsync(string vhost) =>
        ControlAsync(["rabbitmqctl", "add_vhost", vhost], ["rabbitmqctl", "set_permissions", "-p", vhost, Rabbit.User, ".*", ".*", ".*"]);

    public static Task DeleteVirtualHostAsync(string vhost) => ControlAsync(["rabbitmqctl", "delete_vhost", vhost]);

    public static Task RestartRabbitMqAsync() => ControlAsync(["restart-rabbitmq"]);

    public static Task RestartPostgresAsync() => ControlAsync(["restart-postgres"]);

    /// <summary>Runs tests/services/ctl.sh once per argument list, failing on a non-zero exit.</summary>
    private static async Task ControlAsync(params string[][] commands)
    {
        foreach (var arguments in commands)
        {
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "tests", "services", "ctl.sh"));
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"ctl.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
            }
        }
    }
}

internal sealed record RabbitSettings(string Host, int Port, string User, string Password);
