namespace RetinaScreen.Screening;

/// <param name="Count">Cases waiting for a model's answer.</param>
/// <param name="OldestReceivedAt">When the longest-waiting of them arrived; null when none waits.</param>
/// <param name="Overdue">Study Instance UIDs of waiting cases idle past the time allowed, oldest first.</param>
public sealed record WaitingCases(int Count, DateTimeOffset? OldestReceivedAt, IReadOnlyList<string> Overdue);
