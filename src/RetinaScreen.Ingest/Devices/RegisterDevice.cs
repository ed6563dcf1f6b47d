using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Devices;

namespace RetinaScreen.Ingest.Devices;

/// <summary><c>POST /api/admin/devices</c>: registers a camera or gateway and issues its API token, shown only in this answer.</summary>
public static class RegisterDevice
{
    /// <param name="CertificateThumbprint">SHA-256 of the device's DICOM TLS client certificate (64 hex digits, colons allowed).</param>
    public sealed record Request(string Name, string? Site, string? AeTitle, string? AllowedAddress, bool Enabled = true, string? CertificateThumbprint = null);

    public sealed record Response(long Id, string Name, string? Site, string? AeTitle, string? AllowedAddress, bool Enabled, string ApiToken, string? CertificateThumbprint);

    public static async Task<Results<Created<Response>, ValidationProblem, Conflict<ProblemDetailsMessage>>> HandleAsync(
        Request request,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        DeviceDirectory directory,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var token = DeviceTokens.NewToken();
        var device = new Device
        {
            Name = request.Name.Trim(),
            Site = string.IsNullOrWhiteSpace(request.Site) ? null : request.Site.Trim(),
            AeTitle = string.IsNullOrWhiteSpace(request.AeTitle) ? null : request.AeTitle.Trim(),
            AllowedAddress = string.IsNullOrWhiteSpace(request.AllowedAddress) ? null : request.AllowedAddress.Trim(),
            CertificateThumbprint = NormalizeThumbprint(request.CertificateThumbprint),
            ApiTokenSha256 = DeviceTokens.Hash(token),
            Enabled = request.Enabled,
            RegisteredAt = clock.GetUtcNow(),
        };

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Devices.AnyAsync(d => d.Name == device.Name, cancellationToken))
        {
            return TypedResults.Conflict(new ProblemDetailsMessage("A device with this name is already registered."));
        }

        if (device.CertificateThumbprint is not null && await db.Devices.AnyAsync(d => d.CertificateThumbprint == device.CertificateThumbprint, cancellationToken))
        {
            return TypedResults.Conflict(new ProblemDetailsMessage("This certificate is already registered to another device."));
        }

        db.Devices.Add(device);
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = device.RegisteredAt,
            Actor = user.FindFirstValue(ClaimTypes.Name) ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown",
            Action = "device.registered",
            EntityType = nameof(Device),
            EntityId = device.Name,
            Details = JsonSerializer.Serialize(new { device.Site, device.AeTitle, device.AllowedAddress, device.Enabled, device.CertificateThumbprint }),
        });
        await db.SaveChangesAsync(cancellationToken);
        directory.Invalidate();

        return TypedResults.Created(
            $"/api/admin/devices/{device.Id}",
            new Response(device.Id, device.Name, device.Site, device.AeTitle, device.AllowedAddress, device.Enabled, token, device.CertificateThumbprint));
    }

    private static Dictionary<string, string[]> Validate(Request request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 128)
        {
            errors["name"] = ["A name of 1-128 characters is required."];
        }

        // AE VR: at most 16 characters of the default repertoire, no backslash or control characters.
        if (!string.IsNullOrWhiteSpace(request.AeTitle) && (request.AeTitle.Trim().Length > 16 || request.AeTitle.Any(c => c is '\\' or < ' ' or > '~')))
        {
            errors["aeTitle"] = ["An AE title is 1-16 printable ASCII characters without backslash."];
        }

        if (!string.IsNullOrWhiteSpace(request.AllowedAddress) && !AddressRange.IsValid(request.AllowedAddress.Trim()))
        {
            errors["allowedAddress"] = ["An IPv4/IPv6 address or CIDR block is required."];
        }

        var thumbprint = NormalizeThumbprint(request.CertificateThumbprint);
        if (thumbprint is not null && (thumbprint.Length != 64 || !thumbprint.All(char.IsAsciiHexDigitLower)))
        {
            errors["certificateThumbprint"] = ["A SHA-256 certificate thumbprint is 64 hexadecimal digits (colons allowed)."];
        }

        if (request.Site is { Length: > 128 })
        {
            errors["site"] = ["At most 128 characters."];
        }

        return errors;
    }

    /// <summary>Thumbprints are copied from tools that print them upper-case and colon-separated; they are kept lower-case hex.</summary>
    private static string? NormalizeThumbprint(string? thumbprint) =>
        string.IsNullOrWhiteSpace(thumbprint) ? null : thumbprint.Trim().Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
}

/// <summary>A problem answer body whose detail is safe to show (no patient data).</summary>
public sealed record ProblemDetailsMessage(string Detail);
