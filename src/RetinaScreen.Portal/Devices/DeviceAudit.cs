using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Devices;
using RetinaScreen.Portal.Accounts;

namespace RetinaScreen.Portal.Devices;

/// <summary>The audit record of an administrator's change to a device, the same for every device endpoint.</summary>
internal static class DeviceAudit
{
    /// <summary>Who did it: the signed-in administrator.</summary>
    public static string Actor(ClaimsPrincipal user) => AuditTrail.ActorOf(user);

    /// <summary>A change to the device with this id (names can change; ids do not).</summary>
    public static AuditEvent Event(ClaimsPrincipal user, DateTimeOffset at, string action, long deviceId, object details) => new()
    {
        OccurredAt = at,
        Actor = Actor(user),
        Action = action,
        EntityType = nameof(Device),
        EntityId = deviceId.ToString(CultureInfo.InvariantCulture),
        Details = JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
    };
}
