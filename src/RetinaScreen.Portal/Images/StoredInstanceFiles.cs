using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using RetinaScreen.Data.Storage;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Portal.Images;

/// <summary>
/// Opens stored Part 10 objects for reading frames. Pixel data stays in the file (deferred values) and is read frame by
/// frame at its offset, so a file on disk is needed: the folder store's own file, or, for a store without local files
/// (S3), a verified copy made once per object and reused by every later request.
/// </summary>
internal sealed class StoredInstanceFiles(IObjectStore store, IOptions<ImagingOptions> options, IConfiguration configuration)
{
    /// <summary>Every value over 1 KiB (each compressed frame is a fragment) stays in the file until its frame is read.</summary>
    public static readonly DicomReadOptions ReadOptions = new() { DeferValuesLargerThan = 1024, MaxDepth = 16 };

    private readonly string _copies = options.Value.LocalCopyPath
        ?? Path.Combine(configuration["RetinaScreen:DataPath"] ?? "./data", "cache", "objects");

    /// <summary>The stored object's header, its pixel data left in the file.</summary>
    /// <exception cref="FileNotFoundException">The object is not in the store.</exception>
    public async Task<DicomFile> OpenAsync(string storageKey, string sha256, CancellationToken cancellationToken) =>
        DicomFile.Open(await LocalPathAsync(storageKey, sha256, cancellationToken), ReadOptions);

    private async Task<string> LocalPathAsync(string storageKey, string sha256, CancellationToken cancellationToken)
    {
        // Only keys of the content-addressed shape are used, so a key read from the database never leaves the store.
        string keySha256;
        try
        {
            keySha256 = ObjectKeys.Sha256Of(storageKey);
        }
        catch (ArgumentException exception)
        {
            throw new FileNotFoundException("The instance's storage key is not an object key.", storageKey, exception);
        }

        if (store is FileObjectStore folder)
        {
            var path = Path.Combine(folder.Root, storageKey);
            return File.Exists(path) ? path : throw new FileNotFoundException("No object in the store under that key.", storageKey);
        }

        var copy = Path.Combine(_copies, keySha256 + ".dcm");
        if (File.Exists(copy))
        {
            return copy;
        }

        Directory.CreateDirectory(_copies);
        var staging = Path.Combine(_copies, Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            await store.CopyVerifiedToFileAsync(storageKey, sha256, staging, cancellationToken);
            // Two requests may copy the same object at once; the bytes are the same, so either rename wins.
            File.Move(staging, copy, overwrite: true);
        }
        finally
        {
            File.Delete(staging);
        }

        return copy;
    }
}
