namespace RetinaScreen.Data.Storage;

/// <summary>
/// Where DICOM objects live, addressed by key. Writes are atomic (a reader never sees half an object) and
/// every stored object is identified by the SHA-256 of its bytes.
/// </summary>
public interface IObjectStore
{
    /// <summary>
    /// Moves a complete local file into the store. The key is derived from the SHA-256 of the bytes
    /// (content addressing): two writers of the same bytes meet at the same key, different bytes never collide,
    /// so concurrent arrivals need no locking. The source file is consumed.
    /// </summary>
    /// <param name="extension">What the bytes are (".dcm", ".png"): part of the key so an administrator browsing the
    /// store can tell objects apart; identity stays the hash.</param>
    Task<StoredObject> PutFileAsync(string sourcePath, string extension, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="PutFileAsync"/>, for a file whose SHA-256 the caller computed from the very bytes it wrote (the
    /// DICOM SCP hashes each data set as it arrives), so the store need not read it again.
    /// </summary>
    /// <param name="sha256">Lower-case hex SHA-256 of the whole file.</param>
    Task<StoredObject> PutHashedFileAsync(string sourcePath, string sha256, string extension, CancellationToken cancellationToken);

    /// <summary>Opens a stored object for reading; <see cref="FileNotFoundException"/> when absent.</summary>
    Stream OpenRead(string key);

    bool Exists(string key);

    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

public sealed record StoredObject(string Key, string Sha256, long SizeBytes);
