using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Data;
using RetinaScreen.Data.Storage;

namespace RetinaScreen.Hosting.Storage;

/// <summary>
/// Deletes objects that no database row references. They are what a process killed between storing an object and
/// committing its row leaves behind (an ingest mid-arrival, a worker between storing a heatmap and committing the
/// prediction); they are never answered or graded, only wasted space. Only objects older than
/// <see cref="StorageOptions.OrphanGraceAge"/> are considered, so an arrival in flight (stored, not yet committed) is
/// never touched; an object re-stored meanwhile by an identical arrival is put back (see <see cref="SweepAsync"/>).
/// Folder stores only: its safety rests on atomic renames, which S3 does not have; with the S3 provider it logs that
/// once and does nothing (orphans there are wasted space only, never wrong answers).
/// </summary>
public sealed partial class OrphanObjectSweeper(
    IObjectStore objectStore,
    IDbContextFactory<RetinaScreenDbContext> dbFactory,
    IOptions<RetinaScreenOptions> options,
    TimeProvider clock,
    ILogger<OrphanObjectSweeper> logger) : BackgroundService
{
    /// <summary>Where an object waits while the sweeper makes sure nobody re-stored it; beside the objects, so moves are renames.</summary>
    private const string QuarantineFolder = ".sweep";

    private const int KeysPerQuery = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Storage.OrphanSweepInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        if (objectStore is not FileObjectStore)
        {
            LogSweepUnsupported(logger);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, stoppingToken);
                var sweep = await SweepAsync(stoppingToken);
                LogSwept(logger, sweep.Examined, sweep.Deleted, sweep.Restored);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // The database is away or a folder unreadable: nothing was deleted unchecked; try at the next interval.
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <summary>
    /// One pass. An object older than the grace age is checked against every key the database holds (instances,
    /// quarantined objects not discarded, prediction and slide-analysis heatmaps); an unreferenced one is first moved aside, and deleted only if it is still old then. The
    /// store is content-addressed: an identical arrival re-stores the same key with a fresh file, and if that
    /// happened just before the move, the moved file is fresh and goes back (same bytes), so its row, about to be
    /// committed, finds it. If it happens after the move, the arrival's new file is simply left in place.
    /// </summary>
    public async Task<OrphanSweep> SweepAsync(CancellationToken cancellationToken)
    {
        var store = Folder;
        var quarantine = Path.Combine(store.Root, QuarantineFolder);
        Directory.CreateDirectory(quarantine);
        var restored = RestoreQuarantined(quarantine);

        var cutoff = (clock.GetUtcNow() - options.Value.Storage.OrphanGraceAge).UtcDateTime;
        int examined = 0, deleted = 0;
        foreach (var batch in OldObjects(cutoff).Chunk(KeysPerQuery))
        {
            examined += batch.Length;
            var referenced = await ReferencedAsync(batch, cancellationToken);
            foreach (var key in batch.Where(key => !referenced.Contains(key)))
            {
                var path = Path.Combine(store.Root, key);
                var aside = Path.Combine(quarantine, Path.GetFileName(key));
                try
                {
                    File.Move(path, aside, overwrite: false);
                }
                catch (IOException)
                {
                    // Gone already (another replica's sweeper), or being swept by it right now.
                    continue;
                }

                if (File.GetLastWriteTimeUtc(aside) > cutoff)
                {
                    File.Move(aside, path, overwrite: true);
                    restored++;
                }
                else
                {
                    File.Delete(aside);
                    deleted++;
                }
            }
        }

        return new OrphanSweep(examined, deleted, restored);
    }

    private FileObjectStore Folder => objectStore as FileObjectStore
        ?? throw new InvalidOperationException("The orphan sweep works on a folder object store only.");

    /// <summary>Keys of the store's objects last written before <paramref name="cutoff"/> ("ab/cd/&lt;sha256&gt;.ext").</summary>
    private IEnumerable<string> OldObjects(DateTime cutoff)
    {
        var store = Folder;
        // Dot folders are the store's own (staging, quarantine); objects live two fan-out levels down.
        foreach (var first in Directory.EnumerateDirectories(store.Root).Where(IsFanOut))
        {
            foreach (var second in Directory.EnumerateDirectories(first).Where(IsFanOut))
            {
                foreach (var file in Directory.EnumerateFiles(second))
                {
                    if (File.GetLastWriteTimeUtc(file) <= cutoff)
                    {
                        yield return $"{Path.GetFileName(first)}/{Path.GetFileName(second)}/{Path.GetFileName(file)}";
                    }
                }
            }
        }
    }

    private static bool IsFanOut(string directory) => Path.GetFileName(directory) is { Length: 2 } name && !name.StartsWith('.');

    private async Task<HashSet<string>> ReferencedAsync(string[] keys, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        referenced.UnionWith(await db.Instances.Where(i => keys.Contains(i.StorageKey)).Select(i => i.StorageKey).ToListAsync(cancellationToken));
        referenced.UnionWith(await db.Predictions.Where(p => p.HeatmapKey != null && keys.Contains(p.HeatmapKey))
            .Select(p => p.HeatmapKey!).ToListAsync(cancellationToken));
        // A quarantined object is kept until an administrator discards it; a discarded one is swept like any orphan.
        referenced.UnionWith(await db.QuarantinedInstances
            .Where(q => q.Status != RetinaScreen.Data.Imaging.QuarantineStatus.Discarded && keys.Contains(q.StorageKey))
            .Select(q => q.StorageKey).ToListAsync(cancellationToken));
        referenced.UnionWith(await db.SlideAnalyses.Where(a => a.HeatmapKey != null && keys.Contains(a.HeatmapKey))
            .Select(a => a.HeatmapKey!).ToListAsync(cancellationToken));
        return referenced;
    }

    /// <summary>A sweep interrupted between moving an object aside and deciding puts it back; the next sweep decides again.</summary>
    private int RestoreQuarantined(string quarantine)
    {
        var store = Folder;
        var restored = 0;
        foreach (var aside in Directory.EnumerateFiles(quarantine))
        {
            var name = Path.GetFileName(aside);
            if (name.Length < 4)
            {
                continue;
            }

            var path = Path.Combine(store.Root, name[..2], name[2..4], name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                File.Move(aside, path, overwrite: false);
                restored++;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Re-stored meanwhile: the same bytes are in place.
                File.Delete(aside);
            }
        }

        return restored;
    }

    [LoggerMessage(EventId = 5040, Level = LogLevel.Information, Message = "Orphan sweep: {Examined} old objects examined, {Deleted} unreferenced deleted, {Restored} put back")]
    private static partial void LogSwept(ILogger logger, int examined, int deleted, int restored);

    [LoggerMessage(EventId = 5042, Level = LogLevel.Information, Message = "Orphan sweep is for folder object stores only; not sweeping the S3 store")]
    private static partial void LogSweepUnsupported(ILogger logger);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Warning, Message = "Orphan sweep failed; nothing unchecked was deleted, retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

public sealed record OrphanSweep(int Examined, int Deleted, int Restored);

public static class OrphanObjectSweeperExtensions
{
    /// <summary>Runs the sweeper in this process (the ingest role: it is the one whose crashes leave orphans).</summary>
    public static IServiceCollection AddOrphanObjectSweeper(this IServiceCollection services)
    {
        services.AddHostedService<OrphanObjectSweeper>();
        return services;
    }
}
