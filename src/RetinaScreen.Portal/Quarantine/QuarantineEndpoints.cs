using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Outbox;
using RetinaScreen.Portal.Accounts;

namespace RetinaScreen.Portal.Quarantine;

/// <summary>
/// <c>/api/admin/quarantine</c>: objects ingest kept out of the record because they contradict it (docs/quarantine.md).
/// An administrator lists them, compares each with the stored patient, study or instance, and either releases it
/// (ingest then records it as any arrival, and it is graded) or discards it. Every view and decision is audited;
/// deciding on an object no longer open is a 409 problem naming its state, an unknown id a 404.
/// </summary>
public static class QuarantineEndpoints
{
    /// <param name="As">How the released object enters the record; <see cref="QuarantineRelease.StoredIdentity"/> when left out.</param>
    public sealed record ReleaseRequest(QuarantineRelease? As);

    private const int MaxListed = 500;

    public static void Map(RouteGroupBuilder admin)
    {
        var quarantine = admin.MapGroup("/quarantine");
        quarantine.MapGet("/", ListAsync);
        quarantine.MapGet("/{id:guid}", GetAsync);
        quarantine.MapPost("/{id:guid}/release", ReleaseAsync);
        quarantine.MapPost("/{id:guid}/discard", DiscardAsync);
    }

    /// <summary>Open and releasing objects, oldest first, unless <paramref name="status"/> asks for another state.</summary>
    internal static async Task<Ok<List<QuarantineItem>>> ListAsync(
        QuarantineStatus? status,
        int? limit,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var take = Math.Clamp(limit ?? 100, 1, MaxListed);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.QuarantinedInstances.AsNoTracking();
        query = status is { } wanted
            ? query.Where(q => q.Status == wanted)
            : query.Where(q => q.Status == QuarantineStatus.Open || q.Status == QuarantineStatus.Releasing);
        var records = await query.OrderBy(q => q.ReceivedAt).Take(take).ToListAsync(cancellationToken);
        var items = await QuarantineView.ToItemsAsync(db, records, cancellationToken);
        // The items carry patient details: who looked is recorded, never what they saw.
        await audit.TryAppendAsync(AuditTrail.ActorOf(user), "quarantine.listed", nameof(QuarantinedInstance), null,
            new { status = status?.ToString(), count = items.Count }, cancellationToken);
        return TypedResults.Ok(items);
    }

    internal static async Task<Results<Ok<QuarantineItem>, ProblemHttpResult>> GetAsync(
        Guid id,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.QuarantinedInstances.AsNoTracking().FirstOrDefaultAsync(q => q.Id == id, cancellationToken);
        if (record is null)
        {
            return NotFound();
        }

        await audit.TryAppendAsync(AuditTrail.ActorOf(user), "quarantine.viewed", nameof(QuarantinedInstance), id.ToString(), null, cancellationToken);
        return TypedResults.Ok((await QuarantineView.ToItemsAsync(db, [record], cancellationToken))[0]);
    }

    /// <summary>
    /// Marks the object releasing and asks ingest, through the outbox in the same transaction, to record it. Answers 202:
    /// the item's status becomes <c>Released</c> once recorded (or <c>Open</c> again with <c>releaseError</c>).
    /// </summary>
    public static async Task<Results<Accepted<QuarantineItem>, ProblemHttpResult>> ReleaseAsync(
        Guid id,
        ReleaseRequest? request,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        OutboxSignal outboxSignal,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var release = request?.As ?? QuarantineRelease.StoredIdentity;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.QuarantinedInstances.AsNoTracking().FirstOrDefaultAsync(q => q.Id == id, cancellationToken);
        if (record is null)
        {
            return NotFound();
        }

        if (record.Status != QuarantineStatus.Open)
        {
            return NotOpen(record);
        }

        if (!QuarantineView.AllowedReleases(record.Reason).Contains(release))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Release not applicable",
                detail: record.Reason == QuarantineReason.SopInstanceConflict
                    ? "Its SOP Instance UID is stored with other content; it cannot enter the record under that UID. The sender must send it with a new UID; discard this copy after review."
                    : $"A {record.Reason} cannot be released as {release}.",
                extensions: Code("ReleaseNotApplicable"));
        }

        var actor = AuditTrail.ActorOf(user);
        var at = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Only an open record moves: of two administrators deciding at once, one wins and the other gets a 409.
        var moved = await db.QuarantinedInstances
            .Where(q => q.Id == id && q.Status == QuarantineStatus.Open)
            .ExecuteUpdateAsync(set => set
                .SetProperty(q => q.Status, QuarantineStatus.Releasing)
                .SetProperty(q => q.Release, release)
                .SetProperty(q => q.ResolvedBy, actor)
                .SetProperty(q => q.ResolvedAt, at)
                .SetProperty(q => q.ReleaseError, (string?)null), cancellationToken);
        if (moved == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return NotOpen(await db.QuarantinedInstances.AsNoTracking().FirstAsync(q => q.Id == id, cancellationToken));
        }

        db.OutboxMessages.Add(new OutboxMessage
        {
            Type = typeof(QuarantineReleaseRequested).FullName!,
            Payload = JsonSerializer.Serialize(new QuarantineReleaseRequested { QuarantineId = id }, JsonSerializerOptions.Web),
            TraceParent = Activity.Current?.Id,
            CreatedAt = at,
        });
        db.AuditEvents.Add(Audit(actor, at, "quarantine.release-requested", record, new { release = release.ToString() }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        outboxSignal.Notify();

        var updated = await db.QuarantinedInstances.AsNoTracking().FirstAsync(q => q.Id == id, cancellationToken);
        return TypedResults.Accepted($"/api/admin/quarantine/{id}", (await QuarantineView.ToItemsAsync(db, [updated], cancellationToken))[0]);
    }

    /// <summary>
    /// Closes the record as not belonging to the record. The record stays (evidence: reason, sender, hash, who decided);
    /// the object is removed by the orphan sweep once nothing else refers to it.
    /// </summary>
    public static async Task<Results<Ok<QuarantineItem>, ProblemHttpResult>> DiscardAsync(
        Guid id,
        ClaimsPrincipal user,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.QuarantinedInstances.AsNoTracking().FirstOrDefaultAsync(q => q.Id == id, cancellationToken);
        if (record is null)
        {
            return NotFound();
        }

        var actor = AuditTrail.ActorOf(user);
        var at = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var moved = await db.QuarantinedInstances
            .Where(q => q.Id == id && q.Status == QuarantineStatus.Open)
            .ExecuteUpdateAsync(set => set
                .SetProperty(q => q.Status, QuarantineStatus.Discarded)
                .SetProperty(q => q.ResolvedBy, actor)
                .SetProperty(q => q.ResolvedAt, at), cancellationToken);
        if (moved == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return NotOpen(await db.QuarantinedInstances.AsNoTracking().FirstAsync(q => q.Id == id, cancellationToken));
        }

        db.AuditEvents.Add(Audit(actor, at, "quarantine.discarded", record, null));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var updated = await db.QuarantinedInstances.AsNoTracking().FirstAsync(q => q.Id == id, cancellationToken);
        return TypedResults.Ok((await QuarantineView.ToItemsAsync(db, [updated], cancellationToken))[0]);
    }

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Quarantined object not found",
            detail: "No quarantined object has this id.", extensions: Code("NotFound"));

    /// <summary>Already decided: the problem names the state and who decided when, so a second click explains itself.</summary>
    private static ProblemHttpResult NotOpen(QuarantinedInstance record) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: record.Status switch
        {
            QuarantineStatus.Releasing => "Release already in progress",
            QuarantineStatus.Released => "Already released",
            _ => "Already discarded",
        },
        detail: $"This object is {record.Status} (decided by {record.ResolvedBy} at {record.ResolvedAt:O}); only an open object can be released or discarded.",
        extensions: new Dictionary<string, object?> { ["code"] = "NotOpen", ["status"] = record.Status.ToString() });

    private static Dictionary<string, object?> Code(string code) => new() { ["code"] = code };

    /// <summary>Keys, reason and hash only: the record holds what the object says about the patient.</summary>
    private static AuditEvent Audit(string actor, DateTimeOffset at, string action, QuarantinedInstance record, object? details) => new()
    {
        OccurredAt = at,
        Actor = actor,
        Action = action,
        EntityType = nameof(QuarantinedInstance),
        EntityId = record.Id.ToString(),
        Details = JsonSerializer.Serialize(new
        {
            reason = record.Reason.ToString(),
            sopInstanceUid = record.SopInstanceUid,
            sha256 = record.Sha256,
            details,
        }, JsonSerializerOptions.Web),
    };
}
