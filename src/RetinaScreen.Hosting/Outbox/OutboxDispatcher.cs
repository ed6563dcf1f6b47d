using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Outbox;

namespace RetinaScreen.Hosting.Outbox;

/// <summary>
/// Publishes outbox rows and marks them dispatched once the broker confirmed them. At least once: a crash between
/// the confirm and the commit publishes the row again, which idempotent consumers absorb. Several replicas may run
/// it at once: on PostgreSQL each batch is claimed with <c>FOR UPDATE SKIP LOCKED</c>, so two dispatchers never
/// take the same row; SQLite is the single-process embedded mode, where this is the only dispatcher.
/// </summary>
public sealed partial class OutboxDispatcher(
    IDbContextFactory<RetinaScreenDbContext> dbFactory,
    IBus bus,
    OutboxSignal signal,
    IOptions<RetinaScreenOptions> options,
    TimeProvider clock,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Only contract types are ever instantiated from a row's type name.</summary>
    private static readonly System.Reflection.Assembly ContractsAssembly = typeof(ImageReceived).Assembly;

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    private DateTimeOffset nextCleanup;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Outbox;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Drain: a full batch means more may be waiting.
                while (await DispatchBatchAsync(settings.BatchSize, stoppingToken) == settings.BatchSize)
                {
                }

                failures = 0;
                await CleanUpAsync(settings.RetainDispatched, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or TimeoutException or OperationCanceledException
                                           or System.Data.Common.DbException or MassTransitException or IOException)
            {
                // The database or the broker is away (restart, failover): the rows wait, nothing is lost.
                failures++;
                LogDispatchFailed(logger, failures, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * failures)), stoppingToken);
                continue;
            }

            await signal.WaitAsync(settings.PollInterval, stoppingToken);
        }
    }

    /// <returns>How many rows were dispatched.</returns>
    public async Task<int> DispatchBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var rows = db.Database.IsNpgsql()
            ? await db.OutboxMessages
                .FromSqlRaw("""SELECT * FROM "OutboxMessages" WHERE "DispatchedAt" IS NULL ORDER BY "CreatedAt" LIMIT {0} FOR UPDATE SKIP LOCKED""", batchSize)
                .ToListAsync(cancellationToken)
            : await db.OutboxMessages
                .Where(m => m.DispatchedAt == null)
                .OrderBy(m => m.CreatedAt)
                .Take(batchSize)
                .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return 0;
        }

        foreach (var row in rows)
        {
            await PublishAsync(row, cancellationToken);
            row.DispatchedAt = clock.GetUtcNow();
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        PipelineTelemetry.OutboxDispatched.Add(rows.Count);
        return rows.Count;
    }

    private async Task PublishAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        var type = ContractsAssembly.GetType(row.Type, throwOnError: false)
            ?? throw new InvalidOperationException($"Outbox row {row.Id} names an unknown contract type '{row.Type}'.");
        var message = JsonSerializer.Deserialize(row.Payload, type, Json)
            ?? throw new InvalidOperationException($"Outbox row {row.Id} has an empty payload.");

        // Continue the trace of the request that wrote the row: one trace from C-STORE to the committed prediction.
        ActivityContext.TryParse(row.TraceParent, null, out var parent);
        using var activity = PipelineTelemetry.Source.StartActivity("outbox publish", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.message.type", type.Name);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PublishTimeout);
        // With RabbitMQ, Publish completes when the broker confirmed the message (publisher confirms).
        await bus.Publish(message, type, context => context.MessageId = row.Id, timeout.Token);
        PipelineTelemetry.OutboxLatency.Record((clock.GetUtcNow() - row.CreatedAt).TotalMilliseconds);
    }

    private async Task CleanUpAsync(TimeSpan retain, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now < nextCleanup)
        {
            return;
        }

        nextCleanup = now.AddMinutes(10);
        var before = now - retain;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.OutboxMessages.Where(m => m.DispatchedAt != null && m.DispatchedAt < before).ExecuteDeleteAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Outbox dispatch failed ({Failures} in a row); rows stay pending and are retried")]
    private static partial void LogDispatchFailed(ILogger logger, int failures, Exception exception);
}
