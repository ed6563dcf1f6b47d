namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Serialises, within one worker, the read-aggregate-save step of photographs of the same study. Both eyes of a visit
/// usually land in the same model batch and finish together; without this each would fold only its own prediction into
/// the screening and the last save would win (a referable eye could be lost). Striped locks keep memory bounded; two
/// studies sharing a stripe only wait for each other briefly. Across workers the database serialises the same step
/// (<see cref="ScreeningAggregation.SaveAsync"/>); this gate keeps a worker's own gradings from waiting for each
/// other inside the database, each holding a connection.
/// </summary>
internal static class StudyGate
{
    private static readonly SemaphoreSlim[] Stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public static async Task<IDisposable> EnterAsync(Guid studyId, CancellationToken cancellationToken)
    {
        var stripe = Stripes[(int)((uint)studyId.GetHashCode() % (uint)Stripes.Length)];
        await stripe.WaitAsync(cancellationToken);
        return new Releaser(stripe);
    }

    private sealed class Releaser(SemaphoreSlim stripe) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                stripe.Release();
            }
        }
    }
}
