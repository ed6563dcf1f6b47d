namespace RetinaScreen.Data.Outbox;

/// <summary>
/// A message to publish, written in the same transaction as the change it announces, so that the database write
/// and the publish cannot drift apart: a crash after the commit leaves the row for the dispatcher, a crash before
/// it leaves neither. The dispatcher publishes at least once; consumers are idempotent.
/// </summary>
public sealed class OutboxMessage
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Full name of the contract type (a record in RetinaScreen.Contracts).</summary>
    public required string Type { get; set; }
    /// <summary>The message as JSON (web defaults: camelCase).</summary>
    public required string Payload { get; set; }
    /// <summary>W3C traceparent of the operation that wrote the row, so the publish continues the same trace.</summary>
    public string? TraceParent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Null until the broker confirmed the publish.</summary>
    public DateTimeOffset? DispatchedAt { get; set; }
}
