using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// Appends audit events in a context of their own, so that an audit write never saves (or is rolled back with)
/// whatever else the request's context was tracking.
/// </summary>
internal sealed class AuditTrail(
    IDbContextFactory<RetinaScreenDbContext> dbFactory,
    TimeProvider clock,
    ILogger<AuditTrail> logger)
{
    /// <summary>Who did it: the signed-in user's name (or id).</summary>
    public static string ActorOf(ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.Name) ?? user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";

    /// <summary>Best effort: a failure is logged, never thrown at the caller.</summary>
    public async Task TryAppendAsync(string actor, string action, string? entityType, string? entityId, object? details, CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.AuditEvents.Add(new AuditEvent
            {
                OccurredAt = clock.GetUtcNow(),
                Actor = actor,
                Action = action,
                EntityType = entityType,
                EntityId = entityId,
                Details = details is null ? null : JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            PortalLog.AuditWriteFailed(logger, exception, action);
        }
    }
}
