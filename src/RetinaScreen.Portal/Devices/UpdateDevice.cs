using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Devices;
using RetinaScreen.Hosting.Devices;

namespace RetinaScreen.Portal.Devices;

/// <summary>
/// <c>PATCH /api/admin/devices/{id}</c>: changes a registered device (JSON merge patch, RFC 7396: a field left out is
/// kept, <c>null</c> or blank clears an optional one). Disabling a device, moving it, or rotating its certificate
/// takes effect for the next association and STOW-RS request; every change is audited with its before and after.
/// </summary>
public static class UpdateDevice
{
    /// <summary>The fields that may be sent; each is optional.</summary>
    /// <param name="CertificateThumbprint">SHA-256 of the device's new DICOM TLS client certificate; null or empty removes it.</param>
    public sealed record Request(string? Name, string? Site, string? AeTitle, string? AllowedAddress, bool? Enabled, string? CertificateThumbprint);

    private static readonly string[] Fields = ["name", "site", "aeTitle", "allowedAddress", "enabled", "certificateThumbprint"];

    public static async Task<Results<Ok<ListDevices.Item>, ValidationProblem, NotFound<ProblemDetailsMessage>, Conflict<ProblemDetailsMessage>>> HandleAsync(
        long id,
        JsonElement patch,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        DeviceDirectory directory,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var changes = Read(patch, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return TypedResults.NotFound(new ProblemDetailsMessage("No device has this id."));
        }

        var before = Snapshot(device);
        var after = before with
        {
            Name = changes.Name.IsSet ? changes.Name.Value!.Trim() : before.Name,
            Site = changes.Site.IsSet ? DeviceFields.Optional(changes.Site.Value) : before.Site,
            AeTitle = changes.AeTitle.IsSet ? DeviceFields.Optional(changes.AeTitle.Value) : before.AeTitle,
            AllowedAddress = changes.AllowedAddress.IsSet ? DeviceFields.Optional(changes.AllowedAddress.Value) : before.AllowedAddress,
            Enabled = changes.Enabled.IsSet ? changes.Enabled.Value : before.Enabled,
            CertificateThumbprint = changes.CertificateThumbprint.IsSet ? DeviceFields.NormalizeThumbprint(changes.CertificateThumbprint.Value) : before.CertificateThumbprint,
        };

        if (after.Name != before.Name && await db.Devices.AnyAsync(d => d.Id != id && d.Name == after.Name, cancellationToken))
        {
            return TypedResults.Conflict(new ProblemDetailsMessage("A device with this name is already registered."));
        }

        if (after.CertificateThumbprint is not null && after.CertificateThumbprint != before.CertificateThumbprint
            && await db.Devices.AnyAsync(d => d.Id != id && d.CertificateThumbprint == after.CertificateThumbprint, cancellationToken))
        {
            return TypedResults.Conflict(new ProblemDetailsMessage("This certificate is already registered to another device."));
        }

        var changed = Diff(before, after);
        if (changed.Count == 0)
        {
            return TypedResults.Ok(ListDevices.ToItem(device));
        }

        device.Name = after.Name;
        device.Site = after.Site;
        device.AeTitle = after.AeTitle;
        device.AllowedAddress = after.AllowedAddress;
        device.Enabled = after.Enabled;
        device.CertificateThumbprint = after.CertificateThumbprint;
        db.AuditEvents.Add(DeviceAudit.Event(user, clock.GetUtcNow(), "device.updated", device.Id, new { deviceName = before.Name, changes = changed }));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The unique indexes on name and thumbprint settle a race with a concurrent registration or update.
            return TypedResults.Conflict(new ProblemDetailsMessage("The name or certificate was just registered to another device."));
        }

        // This process sees the change at once; other ingest replicas within their snapshot lifetime (seconds).
        directory.Invalidate();
        return TypedResults.Ok(ListDevices.ToItem(device));
    }

    private sealed record State(string Name, string? Site, string? AeTitle, string? AllowedAddress, bool Enabled, string? CertificateThumbprint);

    private readonly record struct Change<T>(bool IsSet, T? Value);

    private sealed record Changes(
        Change<string> Name, Change<string> Site, Change<string> AeTitle, Change<string> AllowedAddress, Change<bool> Enabled, Change<string> CertificateThumbprint);

    private static State Snapshot(Device d) => new(d.Name, d.Site, d.AeTitle, d.AllowedAddress, d.Enabled, d.CertificateThumbprint);

    private static Dictionary<string, object> Diff(State before, State after)
    {
        var changed = new Dictionary<string, object>();
        void Compare<T>(string field, T was, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(was, now))
            {
                changed[field] = new { before = was, after = now };
            }
        }

        Compare("name", before.Name, after.Name);
        Compare("site", before.Site, after.Site);
        Compare("aeTitle", before.AeTitle, after.AeTitle);
        Compare("allowedAddress", before.AllowedAddress, after.AllowedAddress);
        Compare("enabled", before.Enabled, after.Enabled);
        Compare("certificateThumbprint", before.CertificateThumbprint, after.CertificateThumbprint);
        return changed;
    }

    /// <summary>
    /// Reads the patch by hand: a bound record cannot tell a field left out from one sent as null, and here the
    /// difference is "keep the certificate" against "remove it". Unknown fields are refused rather than ignored, so
    /// that a misspelt field never looks like a change that was made.
    /// </summary>
    private static Changes Read(JsonElement patch, Dictionary<string, string[]> errors)
    {
        var changes = new Changes(default, default, default, default, default, default);
        if (patch.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["A JSON object of the fields to change is required."];
            return changes;
        }

        foreach (var property in patch.EnumerateObject())
        {
            var field = Fields.FirstOrDefault(f => string.Equals(f, property.Name, StringComparison.OrdinalIgnoreCase));
            var value = property.Value;
            switch (field)
            {
                case null:
                    errors[property.Name] = [$"Unknown field; a device's {string.Join(", ", Fields)} may be changed."];
                    break;
                case "enabled" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    changes = changes with { Enabled = new(true, value.GetBoolean()) };
                    break;
                case "enabled":
                    errors[field] = ["true or false is required."];
                    break;
                case "name" when value.ValueKind is JsonValueKind.String:
                    DeviceFields.ValidateName(value.GetString(), errors);
                    changes = changes with { Name = new(true, value.GetString()) };
                    break;
                case "name":
                    errors[field] = ["A name of 1-128 characters is required."];
                    break;
                case var _ when value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null):
                    errors[field] = ["A string, or null to clear it, is required."];
                    break;
                case "site":
                    DeviceFields.ValidateSite(value.GetString(), errors);
                    changes = changes with { Site = new(true, value.GetString()) };
                    break;
                case "aeTitle":
                    DeviceFields.ValidateAeTitle(value.GetString(), errors);
                    changes = changes with { AeTitle = new(true, value.GetString()) };
                    break;
                case "allowedAddress":
                    DeviceFields.ValidateAllowedAddress(value.GetString(), errors);
                    changes = changes with { AllowedAddress = new(true, value.GetString()) };
                    break;
                default:
                    DeviceFields.ValidateThumbprint(value.GetString(), errors);
                    changes = changes with { CertificateThumbprint = new(true, value.GetString()) };
                    break;
            }
        }

        return changes;
    }
}
