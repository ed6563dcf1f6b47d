namespace RetinaScreen.Data.Storage;

/// <summary>
/// Where DICOM objects live, addressed by key. Writes are atomic (a reader never sees half an object) and
/// every stored object is identified by the SHA-256 of its bytes. Two implementations: <see cref="FileObjectStore"/>
/// (a folder, local or a shared volume) and <see cref="S3ObjectStore"/> (an S3-compatible service); failures of the
/// medium surface as <see cref="IOException"/> from both.
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

    /// <summary>
    /// Opens a stored object for reading; <see cref="FileNotFoundException"/> when absent. A store that cannot vouch
    /// for its medium (S3) checks the bytes against the key's SHA-256 as they are read and throws
    /// <see cref="InvalidDataException"/> at the end if they differ.
    /// </summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

public sealed record StoredObject(string Key, string Sha256, long SizeBytes);
