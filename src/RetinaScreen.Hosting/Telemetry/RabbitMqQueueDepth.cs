using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RetinaScreen.Hosting.Telemetry;

/// <summary>
/// Reads the ready-message count of the pipeline's RabbitMQ queues by a passive declare (plain AMQP, no management
/// plugin) every <see cref="TelemetryOptions.QueueDepthInterval"/>, for the <c>retinascreen.queue.depth</c> gauge.
/// A queue that does not exist yet, or a broker that is away, reports nothing rather than a made-up zero.
/// </summary>
internal sealed partial class RabbitMqQueueDepth(IOptions<RetinaScreenOptions> options, ILogger<RabbitMqQueueDepth> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var telemetry = options.Value.Telemetry;
        var queues = telemetry.QueueDepthQueues.Length > 0 ? telemetry.QueueDepthQueues : TelemetryOptions.DefaultQueueDepthQueues;
        IConnection? connection = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    connection ??= await ConnectAsync(stoppingToken);
                    foreach (var queue in queues)
                    {
                        PipelineTelemetry.ReportQueueDepth(queue, await MessageCountAsync(connection, queue, stoppingToken));
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException
                                               or IOException or TimeoutException or OperationCanceledException)
                {
                    LogUnavailable(logger, ex);
                    foreach (var queue in queues)
                    {
                        PipelineTelemetry.ReportQueueDepth(queue, null);
                    }

                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }

                await Task.Delay(telemetry.QueueDepthInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<long?> MessageCountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes its channel, so each queue gets a channel of its own.
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return declared.MessageCount;
        }
        catch (OperationInterruptedException) when (connection.IsOpen)
        {
            return null;
        }
    }

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        options.Value.Bus.RabbitMq.ConnectAsync("retinascreen-queue-depth", cancellationToken);

    [LoggerMessage(EventId = 5030, Level = LogLevel.Debug, Message = "Queue depths could not be read; the gauge reports none until the broker answers")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
