using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Screening;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal.ReadingRoom;

public sealed record WorklistResponse(int Page, int PageSize, int Total, IReadOnlyList<WorklistItem> Items);

/// <param name="ModelResult"><c>referable</c>, <c>ungradable</c>, <c>negative</c> or <c>positive</c>; null on blind cases.</param>
public sealed record WorklistItem(
    string StudyInstanceUid,
    string PatientId,
    string? Site,
    string? Device,
    string Kind,
    string Queue,
    int Priority,
    DateTimeOffset ReceivedAt,
    long AgeSeconds,
    string Status,
    bool Blind,
    string? ModelResult,
    int? WorstGrade,
    WorklistClaim? Claim)
{
    /// <summary>Why a model will not answer for an image of the case (its grading failed, or it waited past its time); null otherwise.</summary>
    public string? FailureReason { get; init; }
}

public sealed record WorklistClaim(bool Mine, DateTimeOffset LeaseExpiresAt);

/// <summary>
/// <c>GET /api/worklist</c>: the cases waiting in the queues the caller may read and has not read, most urgent first,
/// then oldest first; and <c>POST /api/worklist/next</c>, which claims the first of them.
/// </summary>
internal static class GetWorklist
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 200;
    private static readonly string[] Results = ["referable", "ungradable", "negative", "positive"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/worklist", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("GetWorklist")
            .WithTags("Reading");
        api.MapPost("/worklist/next", NextAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("ClaimNextCase")
            .WithTags("Reading");
    }

    private static async Task<Results<Ok<WorklistResponse>, ValidationProblem>> HandleAsync(
        ClaimsPrincipal principal,
        RetinaScreenDbContext db,
        TimeProvider clock,
        CancellationToken cancellationToken,
        string? queue = null,
        string? site = null,
        string? device = null,
        string? from = null,
        string? to = null,
        string? result = null,
        int? priority = null,
        int page = 1,
        int pageSize = DefaultPageSize)
    {
        var reader = ReaderIdentity.From(principal);
        var errors = new Dictionary<string, string[]>();
        var queues = QueuesOf(reader, queue, errors);
        var fromAt = Day(from, nameof(from), errors);
        var toAt = Day(to, nameof(to), errors)?.AddDays(1);
        if (result is not null && !Results.Contains(result, StringComparer.Ordinal))
        {
            errors[nameof(result)] = [$"Use one of {string.Join(", ", Results)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = clock.GetUtcNow();
        var cases = db.Screenings.AsNoTracking()
            .Where(c => c.Queue != null && queues.Contains(c.Queue.Value))
            .Where(c => !db.Readings.Any(r => r.ScreeningCaseId == c.Id && r.ReaderId == reader.Id));
        if (!string.IsNullOrWhiteSpace(site))
        {
            cases = cases.Where(c => c.Site == site);
        }

        if (!string.IsNullOrWhiteSpace(device))
        {
            cases = cases.Where(c => c.Device == device);
        }

        if (fromAt is { } start)
        {
            cases = cases.Where(c => c.ReceivedAt >= start);
        }

        if (toAt is { } end)
        {
            cases = cases.Where(c => c.ReceivedAt < end);
        }

        if (priority is { } minimum)
        {
            cases = cases.Where(c => c.Priority >= minimum);
        }

        // Filtering by the model's result would reveal it on blind cases: those are left out of such a filter.
        cases = result switch
        {
            "referable" => cases.Where(c => !c.Blind && (c.ReferableDr == true || c.ReferableDme == true)),
            "ungradable" => cases.Where(c => !c.Blind && c.AnyUngradable),
            "positive" => cases.Where(c => !c.Blind && c.MetastasisPositive == true),
            "negative" => cases.Where(c => !c.Blind && !c.AnyUngradable && c.ReferableDr != true && c.ReferableDme != true && c.MetastasisPositive != true),
            _ => cases,
        };

        page = Math.Clamp(page, 1, 100_000);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var total = await cases.CountAsync(cancellationToken);
        var rows = await cases
            .OrderByDescending(c => c.Priority).ThenBy(c => c.ReceivedAt).ThenBy(c => c.Id)
            .Skip((page - 1) * pageSize)
            .Take(pageSize)
            .Select(c => new
            {
                c.Study!.StudyInstanceUid,
                c.Study.Patient!.PatientId,
                c.Site,
                c.Device,
                c.Kind,
                Queue = c.Queue!.Value,
                c.Priority,
                c.ReceivedAt,
                c.Status,
                c.Blind,
                c.WorstGrade,
                c.ReferableDr,
                c.ReferableDme,
                c.AnyUngradable,
                c.MetastasisPositive,
                c.ClaimedById,
                c.LeaseExpiresAt,
                c.FailureReason,
            })
            .ToListAsync(cancellationToken);

        var items = rows.Select(r => new WorklistItem(
                r.StudyInstanceUid,
                r.PatientId,
                r.Site,
                r.Device,
                r.Kind.ToString(),
                r.Queue.ToString(),
                r.Priority,
                r.ReceivedAt,
                (long)(now - r.ReceivedAt).TotalSeconds,
                r.Status.ToString(),
                r.Blind,
                r.Blind ? null : ModelResult(r.Kind, r.AnyUngradable, r.ReferableDr == true || r.ReferableDme == true, r.MetastasisPositive),
                r.Blind ? null : r.WorstGrade,
                r.ClaimedById is not null && r.LeaseExpiresAt > now ? new WorklistClaim(r.ClaimedById == reader.Id, r.LeaseExpiresAt.Value) : null)
            {
                FailureReason = r.FailureReason,
            })
            .ToList();
        return TypedResults.Ok(new WorklistResponse(page, pageSize, total, items));
    }

    private static async Task<Results<Ok<CaseClaim>, NoContent, ValidationProblem>> NextAsync(
        ClaimsPrincipal principal, ScreeningLifecycle lifecycle, CancellationToken cancellationToken, string? queue = null)
    {
        var reader = ReaderIdentity.From(principal);
        var errors = new Dictionary<string, string[]>();
        var queues = QueuesOf(reader, queue, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var claim = await lifecycle.ClaimNextAsync(queue is null ? null : queues.Single(), reader, cancellationToken);
        return claim is null ? TypedResults.NoContent() : TypedResults.Ok(claim);
    }

    /// <summary>The queues asked for, narrowed to those the reader may read.</summary>
    private static List<ReadingQueue> QueuesOf(Reader reader, string? queue, Dictionary<string, string[]> errors)
    {
        var readable = ReadingRules.QueuesFor(reader.Roles);
        if (string.IsNullOrWhiteSpace(queue))
        {
            return [.. readable];
        }

        if (!Enum.TryParse<ReadingQueue>(queue, ignoreCase: true, out var wanted) || !Enum.IsDefined(wanted) || int.TryParse(queue, out _))
        {
            errors[nameof(queue)] = [$"Use one of {string.Join(", ", Enum.GetNames<ReadingQueue>())}."];
            return [];
        }

        if (!readable.Contains(wanted))
        {
            errors[nameof(queue)] = [$"The {wanted} queue is read by {string.Join(" or ", ReadingRules.ReadersOf(wanted))}."];
            return [];
        }

        return [wanted];
    }

    private static DateTimeOffset? Day(string? value, string name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        errors[name] = ["Use a date as YYYY-MM-DD."];
        return null;
    }

    private static string ModelResult(CaseKind kind, bool ungradable, bool referable, bool? positive) =>
        ungradable ? "ungradable"
        : kind == CaseKind.Slide ? positive == true ? "positive" : "negative"
        : referable ? "referable" : "negative";
}
