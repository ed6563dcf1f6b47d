using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Hosting.Devices;

namespace RetinaScreen.Ingest.Devices;

/// <summary>
/// <c>Authorization: Bearer &lt;device token&gt;</c> for machine senders (STOW-RS). A scheme of its own, so that a
/// device token never passes as a user login and a user login never passes as a device.
/// </summary>
public sealed class DeviceTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    DeviceDirectory devices) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "DeviceToken";
    public const string DeviceIdClaim = "retinascreen:device_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = header[bearer.Length..].Trim();
        if (token.Length is 0 or > 256)
        {
            return AuthenticateResult.Fail("Malformed device token.");
        }

        var device = await devices.FindByTokenAsync(token, Context.RequestAborted);
        if (device is null)
        {
            return AuthenticateResult.Fail("Unknown or disabled device token.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, device.Name), new Claim(DeviceIdClaim, device.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
