using System.Diagnostics;

namespace RetinaScreen.Hosting;

/// <summary>
/// When DICOM objects last arrived in this process. In the embedded host reception and grading share the cores, and a
/// sender waits for every C-STORE answer while a grade may come a moment later: grading yields while objects stream
/// in (<see cref="WaitForLullAsync"/>), for a bounded time, so it neither starves reception nor is starved by it.
/// A process that receives nothing (an inference worker) never waits.
/// </summary>
public sealed class ArrivalActivity
{
    /// <summary>No arrival for this long counts as a lull: a sender streams the next object well within it.</summary>
    public static readonly TimeSpan Lull = TimeSpan.FromMilliseconds(150);

    private long _lastArrival;

    public void MarkArrival() => Volatile.Write(ref _lastArrival, Stopwatch.GetTimestamp());

    /// <summary>Returns at the first lull in arrivals, or after <paramref name="maxWait"/> at the latest.</summary>
    public async Task WaitForLullAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var last = Volatile.Read(ref _lastArrival);
            var quietFor = last == 0 ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(last);
            var waited = Stopwatch.GetElapsedTime(started);
            if (quietFor >= Lull || waited >= maxWait)
            {
                return;
            }

            var delay = Lull - quietFor;
            await Task.Delay(delay < maxWait - waited ? delay : maxWait - waited, cancellationToken);
        }
    }
}
