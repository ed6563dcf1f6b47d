using System.ComponentModel.DataAnnotations;

namespace RetinaScreen.Portal.Accounts;

/// <summary>How long sign-ins last and how hard they may be tried (<c>RetinaScreen:Portal:Login</c>).</summary>
public sealed class LoginOptions
{
    public const string SectionName = "RetinaScreen:Portal:Login";

    /// <summary>Lifetime of a bearer access token; the portal page refreshes it when it runs out.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Lifetime of a refresh token: about one working shift, after which the user signs in again.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// How long one check of an account (security stamp, roles, disabled, must-change mark) is reused by the
    /// requests that carry its tokens. A logout, password change, disable or role change made by another process
    /// reaches this one within this time; made by this process it applies at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan AccountCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests to the anonymous sign-in endpoints (login, refresh, password reset) one source address may make per window.</summary>
    [Range(1, 10_000)]
    public int PermitsPerAddress { get; set; } = 30;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AddressWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Failed sign-ins to one account from one source address (an IPv6 source counts by its /64 network) before that
    /// source is refused for that account until the window ends. Other sources are not affected.
    /// </summary>
    [Range(1, 1_000)]
    public int FailuresPerAccountAndSource { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}
