using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.Data;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// How hard sign-in may be tried, and the one answer a failed sign-in gets.
/// Two limits, neither of which lets a stranger keep a user (an administrator included) out:
/// every source address gets a budget of requests to the anonymous sign-in endpoints (ASP.NET Core's rate limiter,
/// policy <see cref="AddressPolicy"/>), and every pair of account and source gets a budget of failed passwords
/// (<see cref="LoginOptions.FailuresPerAccountAndSource"/>). Once either is spent that source is answered 429 with
/// Retry-After until its window ends; the account itself is never locked, so the user signs in from their own
/// workstation as usual. Unknown accounts are counted exactly like known ones, so the 429 says nothing about which
/// accounts exist; every failed password gets the same 401 problem.
/// </summary>
internal sealed class SignInThrottle : IDisposable
{
    public const string AddressPolicy = "sign-in-per-address";

    private readonly PartitionedRateLimiter<string> _failures;
    private readonly ILogger<SignInThrottle> _logger;

    public SignInThrottle(IOptions<LoginOptions> options, ILogger<SignInThrottle> logger)
    {
        var settings = options.Value;
        _logger = logger;
        _failures = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
            new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.FailuresPerAccountAndSource,
                Window = settings.FailureWindow,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Registers the per-address limiter and its 429 answer.</summary>
    public static void AddTo(IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AddressPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<LoginOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(SourceOf(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = settings.PermitsPerAddress,
                    Window = settings.AddressWindow,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var http = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : (TimeSpan?)null;
                PortalLog.SignInThrottled(http.RequestServices.GetRequiredService<ILogger<SignInThrottle>>(), SourceOf(http), "too many requests from this address");
                await TooManyAttempts(http, retryAfter).ExecuteAsync(http);
            };
        });

    /// <summary>The endpoint filter of <c>POST /api/auth/login</c>.</summary>
    public async ValueTask<object?> FilterLoginAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var login = context.Arguments.OfType<LoginRequest>().FirstOrDefault();
        if (login is null)
        {
            return await next(context);
        }

        var http = context.HttpContext;
        var source = SourceOf(http);
        // The account as the user store finds it, so that spellings of one name share one budget.
        var normalizer = http.RequestServices.GetRequiredService<ILookupNormalizer>();
        var key = (normalizer.NormalizeName(login.Email?.Trim() ?? "") ?? "") + "\n" + source;
        using (var budget = _failures.AttemptAcquire(key, permitCount: 0))
        {
            if (!budget.IsAcquired)
            {
                PortalLog.SignInThrottled(_logger, source, "too many failed passwords for one account");
                return TooManyAttempts(http, budget.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null);
            }
        }

        var result = await next(context);
        // The endpoint answers with a union of results (Results<…>); the one inside tells failure from success.
        var answer = result is INestedHttpResult nested ? nested.Result : result;
        if (answer is ProblemHttpResult { StatusCode: StatusCodes.Status401Unauthorized })
        {
            using var _ = _failures.AttemptAcquire(key, permitCount: 1);
            return SignInFailed();
        }

        return result;
    }

    /// <summary>The single answer to a failed password, an unknown account and an account that may not sign in.</summary>
    public static ProblemHttpResult SignInFailed() => TypedResults.Problem(
        statusCode: StatusCodes.Status401Unauthorized,
        title: "Sign-in failed",
        detail: "The e-mail address or the password is not right, or the account may not sign in.");

    /// <summary>
    /// The source a budget belongs to: an IPv4 address, or the /64 network of an IPv6 one (a single IPv6 host
    /// usually has a whole /64 to pick addresses from).
    /// </summary>
    internal static string SourceOf(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private static ProblemHttpResult TooManyAttempts(HttpContext http, TimeSpan? retryAfter)
    {
        var seconds = (int)Math.Ceiling((retryAfter ?? TimeSpan.FromMinutes(1)).TotalSeconds);
        http.Response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many sign-in attempts",
            detail: "Sign-in from this address is paused for a while. Try again after the time given in Retry-After.");
    }

    public void Dispose() => _failures.Dispose();
}
