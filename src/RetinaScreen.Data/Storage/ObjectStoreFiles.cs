namespace RetinaScreen.Data.Storage;

/// <summary>Moving whole objects between the store and local files, the way every worker needs it.</summary>
public static class ObjectStoreFiles
{
    /// <summary>
    /// Copies a stored object to <paramref name="destination"/>, hashing it on the way, and refuses it when the bytes are
    /// not the ones recorded: what a model sees must be what ingest stored.
    /// </summary>
    /// <exception cref="InvalidDataException">The object's SHA-256 differs from <paramref name="expectedSha256"/>.</exception>
    public static async Task CopyVerifiedToFileAsync(
        this IObjectStore store, string key, string expectedSha256, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string actual;
        await using (var source = await store.OpenReadAsync(key, cancellationToken))
        await using (var copy = File.Create(destination))
        {
            actual = await FileObjectStore.CopyHashingAsync(source, copy, cancellationToken);
        }

        if (!string.Equals(actual, expectedSha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException("The stored object no longer matches its recorded SHA-256; refusing to use it.");
        }
    }

    /// <summary>Stores <paramref name="bytes"/> (a heatmap, a report) content-addressed, and returns its key.</summary>
    public static async Task<string> PutBytesAsync(this IObjectStore store, byte[] bytes, string extension, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var staging = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(staging, bytes, cancellationToken);
            return (await store.PutFileAsync(staging, extension, cancellationToken)).Key;
        }
        finally
        {
            File.Delete(staging);
        }
    }
}
