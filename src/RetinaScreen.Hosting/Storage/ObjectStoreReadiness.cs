using Microsoft.Extensions.Diagnostics.HealthChecks;
using RetinaScreen.Data.Storage;

namespace RetinaScreen.Hosting.Storage;

/// <summary>
/// Readiness of a remote (S3) object store: an ingest replica that cannot store must not be sent arrivals, and a
/// worker that cannot read has nothing to grade. A folder store needs no such check (a full disk is answered per
/// arrival as "out of resources").
/// </summary>
internal sealed class ObjectStoreReadiness(S3ObjectStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.EnsureBucketReachableAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (IOException ex)
        {
            return HealthCheckResult.Unhealthy("The S3 bucket cannot be reached.", ex);
        }
    }
}
