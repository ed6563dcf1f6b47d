using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RetinaScreen.Ingest.DicomWeb;

/// <summary>
/// How many STOW-RS requests are served at once: <see cref="IngestOptions.MaxStowRequestsPerPeer"/> per remote address
/// (more are answered 429) and <see cref="IngestOptions.MaxConcurrentStowRequests"/> in all (more are answered 503),
/// both with a problem response and Retry-After. Nothing queues: a request that would wait holds a connection and its
/// body, which is what the limit is there to bound.
/// </summary>
public sealed partial class StowAdmission : IEndpointFilter, IDisposable
{
    /// <summary>Seconds a refused sender is told to wait; a store takes seconds, so trying sooner only adds load.</summary>
    public const int RetryAfterSeconds = 5;

    private readonly PartitionedRateLimiter<IPAddress> _perPeer;
    private readonly ConcurrencyLimiter _total;
    private readonly ILogger<StowAdmission> _logger;

    public StowAdmission(IOptions<IngestOptions> options, ILogger<StowAdmission> logger)
    {
        var settings = options.Value;
        _logger = logger;
        _perPeer = PartitionedRateLimiter.Create<IPAddress, IPAddress>(peer => RateLimitPartition.GetConcurrencyLimiter(
            peer,
            _ => new ConcurrencyLimiterOptions { PermitLimit = settings.MaxStowRequestsPerPeer, QueueLimit = 0 }));
        _total = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = settings.MaxConcurrentStowRequests, QueueLimit = 0 });
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var peer = http.Connection.RemoteIpAddress is { } address
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)
            : IPAddress.None;

        using var peerLease = _perPeer.AttemptAcquire(peer);
        if (!peerLease.IsAcquired)
        {
            LogPeerLimit(_logger);
            return Refuse(http, StatusCodes.Status429TooManyRequests, "This sender already has as many STOW-RS requests in progress as it may; retry after the others finish.");
        }

        using var totalLease = _total.AttemptAcquire();
        if (!totalLease.IsAcquired)
        {
            LogTotalLimit(_logger);
            return Refuse(http, StatusCodes.Status503ServiceUnavailable, "The server is serving as many STOW-RS requests as it may; retry later.");
        }

        return await next(context);
    }

    public void Dispose()
    {
        _perPeer.Dispose();
        _total.Dispose();
    }

    /// <summary>A refusal that tells the sender when to come back (RFC 9110 10.2.3) with an RFC 7807 body.</summary>
    internal static IResult Refuse(HttpContext http, int status, string detail)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(detail: detail, statusCode: status);
    }

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "STOW-RS request refused with 429: its sender is at its concurrent request limit")]
    private static partial void LogPeerLimit(ILogger logger);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Warning, Message = "STOW-RS request refused with 503: the concurrent request limit is reached")]
    private static partial void LogTotalLimit(ILogger logger);
}
