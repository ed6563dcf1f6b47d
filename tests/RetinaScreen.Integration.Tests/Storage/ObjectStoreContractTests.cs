using System.Security.Cryptography;
using Amazon.S3.Model;
using RetinaScreen.Data.Storage;

namespace RetinaScreen.Integration.Tests.Storage;

/// <summary>
/// REQ-PIPE-10: what every object store promises (<see cref="IObjectStore"/>), checked the same way against the folder
/// store and against the S3 store on a real S3-compatible server. Each test writes fresh random bytes, so the tests
/// share the bucket without meeting.
/// </summary>
public abstract class ObjectStoreContract : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-store-").FullName;

    protected abstract IObjectStore Store { get; }

    protected string Work => _work;

    protected string WriteFile(byte[] bytes)
    {
        var path = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    protected static byte[] RandomBytes(int size = 300_000) => RandomNumberGenerator.GetBytes(size);

    protected static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    protected async Task<byte[]> ReadAllAsync(string key)
    {
        await using var stream = await Store.OpenReadAsync(key, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>How many objects hold these bytes, looked at behind the store's back.</summary>
    protected abstract Task<int> CopiesAsync(string sha256);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Fact]
    public async Task REQ_PIPE_10_Put_names_the_object_by_its_SHA256_and_gives_back_the_same_bytes()
    {
        var bytes = RandomBytes();
        var source = WriteFile(bytes);

        var stored = await Store.PutFileAsync(source, ".dcm", CancellationToken.None);

        var sha = Sha256(bytes);
        Assert.Equal(sha, stored.Sha256);
        Assert.Equal($"{sha[..2]}/{sha[2..4]}/{sha}.dcm", stored.Key);
        Assert.Equal(bytes.Length, stored.SizeBytes);
        Assert.False(File.Exists(source), "the source file is consumed");
        Assert.True(await Store.ExistsAsync(stored.Key, CancellationToken.None));
        Assert.Equal(bytes, await ReadAllAsync(stored.Key));
    }

    [Fact]
    public async Task REQ_PIPE_10_The_same_bytes_put_twice_are_one_object()
    {
        var bytes = RandomBytes();
        var first = await Store.PutFileAsync(WriteFile(bytes), ".dcm", CancellationToken.None);
        var second = await Store.PutHashedFileAsync(WriteFile(bytes), Sha256(bytes), ".dcm", CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(1, await CopiesAsync(first.Sha256));
        Assert.Equal(bytes, await ReadAllAsync(first.Key));
    }

    [Fact]
    public async Task REQ_PIPE_10_A_missing_key_is_FileNotFoundException_and_not_found()
    {
        var key = ObjectKeys.KeyFor(Sha256(RandomBytes(64)), ".dcm");

        Assert.False(await Store.ExistsAsync(key, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.OpenReadAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task REQ_PIPE_10_Deleted_objects_are_gone_and_deleting_again_is_harmless()
    {
        var bytes = RandomBytes();
        var stored = await Store.PutFileAsync(WriteFile(bytes), ".png", CancellationToken.None);

        await Store.DeleteAsync(stored.Key, CancellationToken.None);
        await Store.DeleteAsync(stored.Key, CancellationToken.None);

        Assert.False(await Store.ExistsAsync(stored.Key, CancellationToken.None));
        Assert.Equal(0, await CopiesAsync(stored.Sha256));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.OpenReadAsync(stored.Key, CancellationToken.None));
    }

    [Fact]
    public async Task REQ_PIPE_10_A_malformed_declared_SHA256_or_key_is_refused()
    {
        var bytes = RandomBytes(1000);
        var source = WriteFile(bytes);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutHashedFileAsync(source, Sha256(bytes).ToUpperInvariant(), ".dcm", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutHashedFileAsync(source, "abc", ".dcm", CancellationToken.None));
        Assert.True(File.Exists(source), "a refused file is left to its owner");
        await Assert.ThrowsAsync<ArgumentException>(() => Store.OpenReadAsync("../../etc/passwd", CancellationToken.None));
    }
}

public sealed class FolderObjectStoreContractTests : ObjectStoreContract
{
    private readonly FileObjectStore _store;

    public FolderObjectStoreContractTests() => _store = new FileObjectStore(Path.Combine(Work, "objects"));

    protected override IObjectStore Store => _store;

    protected override Task<int> CopiesAsync(string sha256) =>
        Task.FromResult(Directory.EnumerateFiles(_store.Root, sha256 + ".*", SearchOption.AllDirectories).Count());
}

public sealed class S3ObjectStoreContractTests : ObjectStoreContract
{
    private readonly S3ObjectStore _store = new(TestS3.Settings);

    protected override IObjectStore Store => _store;

    protected override async Task<int> CopiesAsync(string sha256)
    {
        using var client = TestS3.RawClient();
        var listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _store.Bucket, Prefix = $"{sha256[..2]}/{sha256[2..4]}/{sha256}" });
        return listing.S3Objects?.Count ?? 0;
    }

    [Fact]
    public async Task REQ_PIPE_10_A_wrong_declared_SHA256_is_refused_before_anything_is_stored()
    {
        var bytes = RandomBytes();
        var wrong = Sha256(RandomBytes(64));
        var source = WriteFile(bytes);

        await Assert.ThrowsAsync<InvalidDataException>(() => _store.PutHashedFileAsync(source, wrong, ".dcm", CancellationToken.None));

        Assert.Equal(0, await CopiesAsync(wrong));
        Assert.Equal(0, await CopiesAsync(Sha256(bytes)));
        Assert.True(File.Exists(source));
    }

    [Fact]
    public async Task REQ_PIPE_10_The_SHA256_is_kept_with_the_object_in_the_bucket()
    {
        var bytes = RandomBytes();
        var stored = await _store.PutFileAsync(WriteFile(bytes), ".dcm", CancellationToken.None);

        using var client = TestS3.RawClient();
        using var metadata = await client.GetObjectAsync(_store.Bucket, stored.Key);
        Assert.Equal(stored.Sha256, metadata.Metadata["sha256"]);
        using var copy = new MemoryStream();
        await metadata.ResponseStream.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task REQ_PIPE_10_Bytes_changed_in_the_bucket_are_detected_on_read()
    {
        var bytes = RandomBytes();
        var stored = await _store.PutFileAsync(WriteFile(bytes), ".dcm", CancellationToken.None);
        var tampered = (byte[])bytes.Clone();
        tampered[tampered.Length / 2] ^= 0xFF;
        using (var client = TestS3.RawClient())
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = _store.Bucket, Key = stored.Key, InputStream = new MemoryStream(tampered), UseChunkEncoding = false });
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(stored.Key));
    }

    [Fact]
    public async Task REQ_PIPE_10_An_unknown_access_key_is_an_IOException_at_start_not_a_silent_success()
    {
        // s3rver checks the access key but, unlike real services, not a SigV4 signature: a wrong secret alone would pass.
        var settings = TestS3.Settings with { AccessKey = "not-a-known-key" };
        using var store = new S3ObjectStore(settings);

        await Assert.ThrowsAsync<IOException>(() => store.EnsureBucketReachableAsync(CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => store.PutFileAsync(WriteFile(RandomBytes(1000)), ".dcm", CancellationToken.None));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _store.Dispose();
        }

        base.Dispose(disposing);
    }
}
