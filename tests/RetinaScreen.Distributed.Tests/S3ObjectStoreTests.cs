using Amazon.Runtime;
using Amazon.S3;
using RetinaScreen.Distributed.Tests.Infrastructure;

namespace RetinaScreen.Distributed.Tests;

/// <summary>
/// The distributed mode with <c>RetinaScreen:Storage:Provider=S3</c> on every role: ingest and the two workers share
/// no folder, only the bucket of the test s3rver (tests/services/start.sh, RETINASCREEN_TEST_S3).
/// </summary>
public sealed class S3DistributedSystem : DistributedSystem
{
    public static (string Url, string Bucket, string AccessKey, string SecretKey) S3
    {
        get
        {
            var parts = (Environment.GetEnvironmentVariable("RETINASCREEN_TEST_S3") is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException("RETINASCREEN_TEST_S3 is not set: run the tests through tests/run.sh (tests/services/start.sh starts s3rver).")).Split(';');
            return (parts[0], parts[1], parts[2], parts[3]);
        }
    }

    protected override IReadOnlyDictionary<string, string> RoleEnvironment(string role, int httpPort)
    {
        var s3 = S3;
        return new Dictionary<string, string>
        {
            ["RetinaScreen__Storage__Provider"] = "S3",
            ["RetinaScreen__Storage__S3__ServiceUrl"] = s3.Url,
            ["RetinaScreen__Storage__S3__Bucket"] = s3.Bucket,
            ["RetinaScreen__Storage__S3__AccessKey"] = s3.AccessKey,
            ["RetinaScreen__Storage__S3__SecretKey"] = s3.SecretKey,
        };
    }
}

public sealed class S3ObjectStoreTests(S3DistributedSystem system) : IClassFixture<S3DistributedSystem>
{
    [Fact]
    public async Task REQ_PIPE_10_Images_sent_by_C_STORE_are_stored_in_the_bucket_and_graded_by_workers_that_share_only_the_bucket()
    {
        var files = system.WriteImages(6, seedBase: 93);
        var answered = await system.SendAsync(files, senders: 2, new SendProgress());
        Assert.Equal(files.Count, answered.Count);
        await system.WaitForPipelineToSettleAsync(TimeSpan.FromSeconds(60));

        var instances = await system.InstancesAsync();
        Assert.Equal(files.Count, instances.Count);
        var s3 = S3DistributedSystem.S3;
        using var client = new AmazonS3Client(new BasicAWSCredentials(s3.AccessKey, s3.SecretKey), new AmazonS3Config
        {
            ServiceURL = s3.Url,
            ForcePathStyle = true,
            // s3rver predates the SDK's default flexible checksums (see S3ObjectStore).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
        foreach (var instance in instances)
        {
            Assert.Equal(1, instance.Predictions);
            Assert.Equal($"{instance.Sha256[..2]}/{instance.Sha256[2..4]}/{instance.Sha256}.dcm", instance.StorageKey);
            var stored = await client.GetObjectMetadataAsync(s3.Bucket, instance.StorageKey);
            Assert.Equal(instance.Sha256, stored.Metadata["sha256"]);
        }

        Assert.False(Directory.Exists(system.ObjectsPath) && Directory.EnumerateFiles(system.ObjectsPath, "*", SearchOption.AllDirectories).Any(),
            "an object was written to the shared folder although the provider is S3");
    }
}
