using Amazon.Runtime;
using Amazon.S3;
using RetinaScreen.Data.Storage;

namespace RetinaScreen.Integration.Tests.Storage;

/// <summary>
/// The S3-compatible server (s3rver) that tests/services/start.sh started (tests/run.sh does it), as
/// RETINASCREEN_TEST_S3 = "url;bucket;accessKey;secret". Without it these tests fail: the S3 store is what they test.
/// </summary>
internal static class TestS3
{
    public static S3ObjectStoreSettings Settings
    {
        get
        {
            var value = Environment.GetEnvironmentVariable("RETINASCREEN_TEST_S3") is { Length: > 0 } set
                ? set
                : throw new InvalidOperationException("RETINASCREEN_TEST_S3 is not set: run the tests through tests/run.sh, which starts s3rver (tests/services/start.sh).");
            var parts = value.Split(';');
            return new S3ObjectStoreSettings(new Uri(parts[0]), parts[1], parts[2], parts[3]);
        }
    }

    /// <summary>A plain client, to look at the bucket behind the store's back.</summary>
    public static AmazonS3Client RawClient()
    {
        var settings = Settings;
        return new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), new AmazonS3Config
        {
            ServiceURL = settings.ServiceUrl.ToString(),
            AuthenticationRegion = settings.Region,
            ForcePathStyle = true,
            // s3rver predates the SDK's default flexible checksums (see S3ObjectStore).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }
}
