using System.Text.Json;

namespace RetinaScreen.Hosting.Operations;

/// <summary>
/// A message that exhausted its retries, as an administrator sees it: which endpoint, what it was, why it failed.
/// The body is the claim-check message (UIDs, storage key, hash), never pixel data.
/// </summary>
public sealed record DeadLetter(
    string Endpoint,
    string? MessageId,
    string? MessageType,
    string? FaultExceptionType,
    string? FaultMessage,
    string? FaultTimestamp,
    JsonElement? Body);

public sealed record DeadLetterList(string Transport, IReadOnlyList<DeadLetter> Messages);

public sealed record DeadLetterReplay(int Replayed);
