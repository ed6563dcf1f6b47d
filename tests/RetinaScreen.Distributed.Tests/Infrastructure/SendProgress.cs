namespace RetinaScreen.Distributed.Tests.Infrastructure;

/// <summary>How many images the senders have had answered so far: faults are timed by progress, not by the clock,
/// so that a loaded machine (slow first associations) still sees each fault in the middle of the sending.</summary>
public sealed class SendProgress
{
    private int _done;

    public int Done => Volatile.Read(ref _done);

    public void Add(int count) => Interlocked.Add(ref _done, count);

    /// <summary>Completes when <paramref name="count"/> images were answered or <paramref name="sending"/> ended.</summary>
    public async Task WaitForAsync(int count, Task sending)
    {
        while (Done < count && !sending.IsCompleted)
        {
            await Task.Delay(50);
        }
    }
}
