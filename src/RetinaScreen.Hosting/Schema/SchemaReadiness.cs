using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data;

namespace RetinaScreen.Hosting.Schema;

/// <summary>
/// In the distributed mode only <c>retinascreen migrate</c> changes the schema; several replicas starting at once
/// must not race to migrate. A role process therefore waits until the database has every migration it was built
/// with, and its readiness check fails while one is pending.
/// </summary>
public static partial class SchemaReadiness
{
    public static async Task<IReadOnlyList<string>> PendingMigrationsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var factory = services.GetRequiredService<IDbContextFactory<RetinaScreenDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return [.. await db.Database.GetPendingMigrationsAsync(cancellationToken)];
    }

    /// <summary>Polls until the schema is current; the database may also not be up yet.</summary>
    public static async Task WaitForRetinaScreenSchemaAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaReadiness).FullName!);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var pending = await PendingMigrationsAsync(services, cancellationToken);
                if (pending.Count == 0)
                {
                    return;
                }

                LogSchemaPending(logger, pending.Count);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogDatabaseUnavailable(logger, attempt, ex.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), cancellationToken);
        }
    }

    internal sealed class HealthCheck(IServiceProvider services) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var pending = await PendingMigrationsAsync(services, cancellationToken);
            return pending.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) pending: run 'retinascreen migrate'.");
        }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Waiting for the database schema: {Pending} migration(s) pending (run 'retinascreen migrate')")]
    private static partial void LogSchemaPending(ILogger logger, int pending);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Waiting for the database (attempt {Attempt}): {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, int attempt, string reason);
}
