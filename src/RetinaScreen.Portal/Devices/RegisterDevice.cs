using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Devices;
using RetinaScreen.Hosting.Devices;

namespace RetinaScreen.Portal.Devices;

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
            Site = DeviceFields.Optional(request.Site),
            AeTitle = DeviceFields.Optional(request.AeTitle),
            AllowedAddress = DeviceFields.Optional(request.AllowedAddress),
            CertificateThumbprint = DeviceFields.NormalizeThumbprint(request.CertificateThumbprint),
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
            Actor = DeviceAudit.Actor(user),
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
        DeviceFields.ValidateName(request.Name, errors);
        DeviceFields.ValidateAeTitle(request.AeTitle, errors);
        DeviceFields.ValidateAllowedAddress(request.AllowedAddress, errors);
        DeviceFields.ValidateThumbprint(request.CertificateThumbprint, errors);
        DeviceFields.ValidateSite(request.Site, errors);
        return errors;
    }
}

/// <summary>A problem answer body whose detail is safe to show (no patient data).</summary>
public sealed record ProblemDetailsMessage(string Detail);
