using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Data;

namespace RetinaScreen.Cli.Operations;

/// <summary>
/// <c>retinascreen migrate</c>: applies the pending migrations of the configured provider, the one step of a
/// distributed deployment that changes the schema (the role processes wait for it). Configured like the hosts:
/// <c>RetinaScreen__Database__Provider</c>, <c>ConnectionStrings__RetinaScreen</c>, <c>RetinaScreen__DataPath</c>,
/// or the same keys as <c>--Key=value</c> arguments. EF Core holds a migration lock, so two runs do not collide.
/// </summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var waitSeconds = 60;
        var settings = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--wait" && i + 1 < args.Count && int.TryParse(args[i + 1], out var seconds) && seconds >= 0)
            {
                waitSeconds = seconds;
                i++;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Contains('=', StringComparison.Ordinal))
            {
                settings.Add(args[i]);
            }
            else
            {
                stderr.WriteLine("usage: retinascreen migrate [--wait SECONDS] [--RetinaScreen:Database:Provider=PostgreSql] [--ConnectionStrings:RetinaScreen=…]");
                return 2;
            }
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddEnvironmentVariables().AddCommandLine([.. settings]);
        try
        {
            builder.AddRetinaScreenData();
        }
        catch (InvalidOperationException ex)
        {
            stderr.WriteLine($"migrate: {ex.Message}");
            return 2;
        }

        using var host = builder.Build();
        var provider = RetinaScreenDataExtensions.ReadProvider(builder.Configuration);
        // The database may still be starting (a compose or Kubernetes job starts beside it): retry until --wait.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(waitSeconds);
        while (true)
        {
            try
            {
                await host.Services.MigrateRetinaScreenDatabaseAsync();
                stdout.WriteLine($"migrate: the {provider} database is at the current schema.");
                return 0;
            }
            catch (DbException ex) when (DateTimeOffset.UtcNow < deadline)
            {
                stderr.WriteLine($"migrate: database not reachable yet ({ex.GetType().Name}); retrying.");
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            catch (DbException ex)
            {
                stderr.WriteLine($"migrate: failed: {ex.Message}");
                return 1;
            }
        }
    }
}
