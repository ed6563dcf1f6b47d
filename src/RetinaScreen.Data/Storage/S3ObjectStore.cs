using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace RetinaScreen.Data.Storage;

/// <summary>Where an S3-compatible object store is and who RetinaScreen is to it. No defaults for the keys.</summary>
public sealed record S3ObjectStoreSettings(Uri ServiceUrl, string Bucket, string AccessKey, string SecretKey)
{
    /// <summary>Only used to sign requests; S3-compatible services on premises accept any, AWS wants the bucket's.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Keys and secret stay out of logs and exceptions.</summary>
    public override string ToString() => $"S3 {ServiceUrl} bucket {Bucket}";
}

/// <summary>
/// The object store on an S3-compatible service (the distributed mode without a shared volume). The same
/// content-addressed keys as <see cref="FileObjectStore"/>. Atomicity is S3's: a single PUT makes the object visible
/// whole or not at all. Integrity: the SHA-256 and MD5 are computed locally before upload; the MD5 travels as
/// <c>Content-MD5</c> and the SHA-256 as <c>x-amz-checksum-sha256</c>, which the service checks against the bytes it
/// received (AWS S3, MinIO and Ceph refuse a mismatch), and the SHA-256 is also kept as object metadata. Every read
/// is checked against the SHA-256 its key names, whatever the service does.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    /// <summary>A single PUT takes at most 5 GiB; larger objects would need a multipart upload, which this store does not do.</summary>
    public const long MaxObjectBytes = 5L << 30;

    private const string Sha256Metadata = "sha256";

    private readonly AmazonS3Client _client;
    private readonly string _bucket;

    public S3ObjectStore(S3ObjectStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _bucket = settings.Bucket;
        var config = new AmazonS3Config
        {
            ServiceURL = settings.ServiceUrl.ToString(),
            AuthenticationRegion = settings.Region,
            // Bucket in the path, not the host name: on-premises services (MinIO, Ceph) rarely have wildcard DNS.
            ForcePathStyle = true,
            // SDK v4 otherwise adds a CRC32 trailer to every upload in aws-chunked encoding and insists on response
            // checksums; S3-compatible servers that predate 2025 (and s3rver, used by the tests) do not understand
            // either. Integrity does not depend on it: Content-MD5 and the SHA-256 are sent with each PUT and reads
            // are hashed here.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public string Bucket => _bucket;

    public async Task<StoredObject> PutFileAsync(string sourcePath, string extension, CancellationToken cancellationToken)
    {
        var (sha256, md5, size) = await HashFileAsync(sourcePath, cancellationToken);
        return await UploadAsync(sourcePath, sha256, md5, size, extension, cancellationToken);
    }

    /// <summary>
    /// The file is read here anyway (its MD5 goes with the upload), so the caller's SHA-256 is checked on the way
    /// rather than trusted: a wrong one is refused before anything is sent.
    /// </summary>
    public async Task<StoredObject> PutHashedFileAsync(string sourcePath, string sha256, string extension, CancellationToken cancellationToken)
    {
        ObjectKeys.EnsureSha256(sha256);
        var (actual, md5, size) = await HashFileAsync(sourcePath, cancellationToken);
        if (!string.Equals(actual, sha256, StringComparison.Ordinal))
        {
            throw new InvalidDataException("The file's SHA-256 is not the one declared; nothing was stored.");
        }

        return await UploadAsync(sourcePath, sha256, md5, size, extension, cancellationToken);
    }

    private async Task<StoredObject> UploadAsync(string sourcePath, string sha256, byte[] md5, long size, string extension, CancellationToken cancellationToken)
    {
        var key = ObjectKeys.KeyFor(sha256, extension);
        if (size > MaxObjectBytes)
        {
            throw new IOException("The object is larger than one S3 PUT can take (5 GiB).");
        }

        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = key,
            FilePath = sourcePath,
            ContentType = "application/octet-stream",
            MD5Digest = Convert.ToBase64String(md5),
            ChecksumSHA256 = Convert.ToBase64String(Convert.FromHexString(sha256)),
            // One signed request with the payload's SHA-256 in its signature: no aws-chunked encoding.
            UseChunkEncoding = false,
        };
        request.Metadata[Sha256Metadata] = sha256;
        await CallAsync(() => _client.PutObjectAsync(request, cancellationToken), key);

        // Consumed, as by the folder store; only after the service holds the object.
        File.Delete(sourcePath);
        return new StoredObject(key, sha256, size);
    }

    /// <summary>
    /// The object's bytes as the service sends them, hashed as they are read: reaching the end with bytes that are
    /// not the ones the key names throws <see cref="InvalidDataException"/>.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var sha256 = ObjectKeys.Sha256Of(key);
        var response = await CallAsync(() => _client.GetObjectAsync(_bucket, key, cancellationToken), key);
        return new Sha256VerifyingStream(response, sha256);
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Sha256Of(key);
        try
        {
            await CallAsync(() => _client.GetObjectMetadataAsync(_bucket, key, cancellationToken), key);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Sha256Of(key);
        await CallAsync(() => _client.DeleteObjectAsync(_bucket, key, cancellationToken), key);
    }

    /// <summary>
    /// Fails when the bucket cannot be reached with the configured keys (checked at start and by readiness). A listing
    /// of a prefix no object has: it needs only s3:ListBucket, costs nothing however full the bucket is, and tells a
    /// missing bucket from a missing object, which a HEAD of an object cannot.
    /// </summary>
    public async Task EnsureBucketReachableAsync(CancellationToken cancellationToken) =>
        await CallAsync(() => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = ".reachable/", MaxKeys = 1 }, cancellationToken), key: null);

    /// <summary>
    /// The service's failures as the interface's: a missing key is <see cref="FileNotFoundException"/>, any other
    /// failure (unreachable, refused, a digest mismatch) an <see cref="IOException"/>, which ingest answers as "out
    /// of resources, try again" exactly as it does for a full disk.
    /// </summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call, string? key)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception ex) when (key is not null && (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is "NoSuchKey" or "NotFound" or null or ""))
        {
            throw new FileNotFoundException("No object in the store under that key.", key, ex);
        }
        catch (AmazonServiceException ex)
        {
            throw new IOException($"The S3 object store refused the request ({(int)ex.StatusCode} {ex.ErrorCode}).", ex);
        }
        catch (AmazonClientException ex)
        {
            throw new IOException("The S3 object store could not be reached.", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new IOException("The S3 object store could not be reached.", ex);
        }
    }

    private static async Task<(string Sha256, byte[] Md5, long Size)> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // MD5 only because S3's Content-MD5 header asks for it; identity is the SHA-256.
#pragma warning disable CA5351
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
        await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        int read;
        long size = 0;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            md5.AppendData(buffer, 0, read);
            size += read;
        }

        return (Convert.ToHexStringLower(sha256.GetHashAndReset()), md5.GetHashAndReset(), size);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Passes the object's bytes through, hashing them; at the end, the hash must be the one expected.</summary>
    private sealed class Sha256VerifyingStream(GetObjectResponse response, string expectedSha256) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private bool _checked;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = _inner.Read(buffer);
            return Seen(buffer[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await _inner.ReadAsync(buffer, cancellationToken);
            return Seen(buffer.Span[..read]);
        }

        private int Seen(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > 0)
            {
                _hash.AppendData(bytes);
            }
            else if (!_checked)
            {
                _checked = true;
                if (!string.Equals(Convert.ToHexStringLower(_hash.GetHashAndReset()), expectedSha256, StringComparison.Ordinal))
                {
                    throw new InvalidDataException("The object read from the S3 store does not match the SHA-256 its key names.");
                }
            }

            return bytes.Length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
