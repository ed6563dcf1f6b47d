namespace RetinaScreen.Data.Outbox;

/// <summary>
/// Wakes the outbox dispatcher right after a commit that wrote outbox rows, so that a message leaves within
/// milliseconds instead of at the next poll. Polling remains the safety net (another replica's rows, a lost signal).
/// </summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim pending = new(0, 1);

    public void Notify()
    {
        // At most one pending wake-up: the dispatcher drains everything it finds each time it wakes.
        try
        {
            pending.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    /// <returns>True when signalled, false when the timeout passed.</returns>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => pending.WaitAsync(timeout, cancellationToken);

    public void Dispose() => pending.Dispose();
}
