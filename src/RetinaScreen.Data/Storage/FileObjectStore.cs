using System.Security.Cryptography;

namespace RetinaScreen.Data.Storage;

/// <summary>
/// The object store on a local (or shared) folder. Atomicity comes from a temporary name in the same folder tree,
/// flushed to disk, then renamed: rename within one file system is atomic on POSIX.
/// </summary>
public sealed class FileObjectStore : IObjectStore
{
    private readonly string _root;
    private readonly string _incoming;

    public FileObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
        _incoming = Path.Combine(_root, ".incoming");
        PrivateFiles.CreateFolder(_root);
        PrivateFiles.CreateFolder(_incoming);
    }

    public string Root => _root;

    public async Task<StoredObject> PutFileAsync(string sourcePath, string extension, CancellationToken cancellationToken)
    {
        string sha256;
        await using (var source = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous))
        {
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(source, cancellationToken));
        }

        return Commit(sourcePath, sha256, extension);
    }

    public Task<StoredObject> PutHashedFileAsync(string sourcePath, string sha256, string extension, CancellationToken cancellationToken)
    {
        ObjectKeys.EnsureSha256(sha256);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Commit(sourcePath, sha256, extension));
    }

    /// <summary>
    /// Moves the file in by renames and makes it durable with one flush of the file and one of its folder: the
    /// bytes are never copied when the source is on the store's file system, as arrival folders are
    /// (<c>{DataPath}/tmp</c>). A rename is only durable once the folder holding the new name is flushed, and a
    /// success answered to a sender must survive a power cut.
    /// </summary>
    private StoredObject Commit(string sourcePath, string sha256, string extension)
    {
        var key = KeyFor(sha256, extension);
        var target = PathFor(key);
        var staging = Path.Combine(_incoming, Guid.NewGuid().ToString("N"));
        try
        {
            // Into the store's own file system first: from another file system File.Move copies, and a copy must
            // never be visible under its final name while half written.
            File.Move(sourcePath, staging);
            long size;
            using (var file = new FileStream(staging, FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                // A no-op for pages the writer already flushed; the data must be on disk before the name is.
                file.Flush(flushToDisk: true);
                size = file.Length;
            }

            var folder = Path.GetDirectoryName(target)!;
            var created = CreateFanOutFolders(folder);

            // Identical bytes are already there: replacing them changes nothing, and rename is atomic either way.
            File.Move(staging, target, overwrite: true);
            DirectorySync.Flush(folder);
            foreach (var parent in created)
            {
                DirectorySync.Flush(parent);
            }

            return new StoredObject(key, sha256, size);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    /// <returns>The folders whose entries changed because a fan-out folder was created: they need a flush too.</returns>
    private List<string> CreateFanOutFolders(string folder)
    {
        if (Directory.Exists(folder))
        {
            return [];
        }

        var parent = Path.GetDirectoryName(folder)!;
        List<string> changed = Directory.Exists(parent) ? [parent] : [parent, _root];
        PrivateFiles.CreateFolder(folder);
        return changed;
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathFor(key);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
        }
        catch (DirectoryNotFoundException ex)
        {
            // No object under that fan-out folder yet: as absent as a missing file, and the interface says so.
            throw new FileNotFoundException("No object in the store under that key.", key, ex);
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathFor(key)));

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        TryDelete(PathFor(key));
        return Task.CompletedTask;
    }

    /// <summary>Deletes staging files left by a process that died mid-write; called at start.</summary>
    public int CleanIncoming()
    {
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(_incoming))
        {
            TryDelete(file);
            removed++;
        }

        return removed;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> and returns the lower-case hex SHA-256 of the
    /// bytes copied: one pass, so whoever copies an object out of (or into) the store verifies it without reading it twice.
    /// </summary>
    public static async Task<string> CopyHashingAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        await destination.FlushAsync(cancellationToken);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <inheritdoc cref="ObjectKeys.KeyFor"/>
    public static string KeyFor(string sha256, string extension) => ObjectKeys.KeyFor(sha256, extension);

    private string PathFor(string key)
    {
        // Keys are made by RetinaScreen from hashes; still, a key read back from a database or a message must
        // never escape the root, whatever produced it.
        if (string.IsNullOrWhiteSpace(key) || key.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(key))
        {
            throw new ArgumentException("Invalid object key.", nameof(key));
        }

        var full = Path.GetFullPath(Path.Combine(_root, key));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException("Invalid object key.", nameof(key));
        }

        return full;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover staging file is removed by CleanIncoming at the next start.
        }
    }
}
