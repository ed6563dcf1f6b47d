using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using RetinaScreen.Data;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Screening;

/// <summary>
/// The per-case lock: one change to a screening case at a time, across every thread and process. Within a process a
/// striped gate queues callers without each holding a database connection in a lock wait; across processes the
/// database serialises them: PostgreSQL by the screening row's <c>FOR UPDATE</c>, SQLite because Microsoft.Data.Sqlite
/// begins a transaction with <c>BEGIN IMMEDIATE</c> (the write lock first). The case is reloaded under the lock
/// (READ COMMITTED reads the latest commit per statement), so every holder sees what the one before committed.
/// </summary>
public sealed class CaseLock : IAsyncDisposable
{
    private static readonly SemaphoreSlim[] Stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private readonly SemaphoreSlim _stripe;
    private readonly IDbContextTransaction _transaction;
    private bool _released;

    private CaseLock(SemaphoreSlim stripe, IDbContextTransaction transaction)
    {
        _stripe = stripe;
        _transaction = transaction;
    }

    /// <summary>Takes the lock on <paramref name="screening"/> (tracked by <paramref name="db"/>) and reloads it.</summary>
    public static async Task<CaseLock> AcquireAsync(RetinaScreenDbContext db, ScreeningCase screening, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(screening);
        var stripe = Stripes[(int)((uint)screening.StudyId.GetHashCode() % (uint)Stripes.Length)];
        await stripe.WaitAsync(cancellationToken);
        IDbContextTransaction? transaction = null;
        try
        {
            transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                await db.Database.ExecuteSqlAsync($"""SELECT 1 FROM "Screenings" WHERE "Id" = {screening.Id} FOR UPDATE""", cancellationToken);
            }

            await db.Entry(screening).ReloadAsync(cancellationToken);
            return new CaseLock(stripe, transaction);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            stripe.Release();
            throw;
        }
    }

    public Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        try
        {
            await _transaction.DisposeAsync();
        }
        finally
        {
            _stripe.Release();
        }
    }
}
