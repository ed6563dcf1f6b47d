using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace RetinaScreen.Hosting.Operations;

/// <summary>
/// Reads and replays MassTransit's <c>…_error</c> queues over AMQP (no management plugin needed). Listing takes
/// messages without acknowledging them and closes the channel, which hands every one back to the queue. Replay
/// publishes each to the endpoint's exchange with publisher confirms and only then acknowledges it in the error
/// queue, so a crash in between duplicates a message (absorbed by idempotent consumers) but never loses one.
/// </summary>
public sealed partial class RabbitMqDeadLetters(IOptions<RetinaScreenOptions> options, ILogger<RabbitMqDeadLetters> logger)
{
    private const string ErrorSuffix = "_error";

    public IReadOnlyList<string> Endpoints =>
        options.Value.Bus.DeadLetterEndpoints.Length > 0 ? options.Value.Bus.DeadLetterEndpoints : BusOptions.DefaultDeadLetterEndpoints;

    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        var result = new List<DeadLetter>();
        foreach (var endpoint in Endpoints)
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            if (!await QueueExistsAsync(connection, endpoint + ErrorSuffix, cancellationToken))
            {
                continue;
            }

            while (result.Count < limit)
            {
                var message = await channel.BasicGetAsync(endpoint + ErrorSuffix, autoAck: false, cancellationToken);
                if (message is null)
                {
                    break;
                }

                result.Add(Describe(endpoint, message));
            }

            // Closing the channel without acknowledging returns the messages to the error queue.
            await channel.CloseAsync(cancellationToken);
        }

        return result;
    }

    public async Task<int> ReplayAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        var replayed = 0;
        foreach (var endpoint in Endpoints)
        {
            if (!await QueueExistsAsync(connection, endpoint + ErrorSuffix, cancellationToken))
            {
                continue;
            }

            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            while (replayed < limit)
            {
                var message = await channel.BasicGetAsync(endpoint + ErrorSuffix, autoAck: false, cancellationToken);
                if (message is null)
                {
                    break;
                }

                var properties = new BasicProperties(message.BasicProperties) { Persistent = true };
                if (properties.Headers is not null)
                {
                    // The fault headers describe the last failure; a replayed message starts afresh.
                    properties.Headers = properties.Headers
                        .Where(h => !h.Key.StartsWith("MT-Fault", StringComparison.Ordinal) && h.Key != "MT-Reason")
                        .ToDictionary(h => h.Key, h => h.Value);
                }

                // MassTransit binds an exchange of the endpoint's name to its queue.
                await channel.BasicPublishAsync(endpoint, string.Empty, mandatory: false, properties, message.Body, cancellationToken);
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                replayed++;
            }
        }

        LogReplayed(logger, replayed);
        return replayed;
    }

    private static async Task<bool> QueueExistsAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes the channel, so it gets a channel of its own.
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await probe.QueueDeclarePassiveAsync(queue, cancellationToken);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false;
        }
    }

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) =>
        options.Value.Bus.RabbitMq.ConnectAsync("retinascreen-operations", cancellationToken);

    private static DeadLetter Describe(string endpoint, BasicGetResult message)
    {
        var headers = message.BasicProperties.Headers;
        string? Header(string name) => headers is not null && headers.TryGetValue(name, out var value) ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            null => null,
            _ => value.ToString(),
        } : null;

        JsonElement? body = null;
        string? messageType = null;
        try
        {
            using var document = JsonDocument.Parse(message.Body);
            var root = document.RootElement;
            if (root.TryGetProperty("message", out var inner))
            {
                body = inner.Clone();
            }

            if (root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0)
            {
                messageType = types[0].GetString();
            }
        }
        catch (JsonException)
        {
            // Not a MassTransit envelope (a malformed message is one reason to end up here): shown without a body.
        }

        return new DeadLetter(
            endpoint,
            message.BasicProperties.MessageId,
            messageType,
            Header("MT-Fault-ExceptionType"),
            Header("MT-Fault-Message"),
            Header("MT-Fault-Timestamp"),
            body);
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Replayed {Count} dead-lettered message(s) to their endpoints")]
    private static partial void LogReplayed(ILogger logger, int count);
}
