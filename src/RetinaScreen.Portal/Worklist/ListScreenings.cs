using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Screening;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Portal.Accounts;

namespace RetinaScreen.Portal.Worklist;

public sealed record ScreeningListResponse(int Page, int PageSize, int Total, IReadOnlyList<ScreeningListItem> Items);

public sealed record ScreeningListItem(
    string StudyInstanceUid,
    string PatientId,
    string? StudyDate,
    string? InstitutionName,
    string Status,
    int? WorstGrade,
    string? WorstGradeName,
    bool? ReferableDr,
    bool? ReferableDme,
    bool AnyUngradable,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? GradedAt)
{
    /// <summary>Why a model will not answer for an image of the case (its grading failed, or it waited past its time); null otherwise.</summary>
    public string? FailureReason { get; init; }
}

/// <summary><c>GET /api/screenings?status=&amp;page=&amp;pageSize=</c>: screening cases, newest first.</summary>
internal static class ListScreenings
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
    private const int MaxPage = 100_000;

    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/screenings", HandleAsync)
            .RequireAuthorization(AccessPolicies.CanReadScreenings)
            .WithName("ListScreenings")
            .WithTags("Worklist");

    private static async Task<Results<Ok<ScreeningListResponse>, ValidationProblem>> HandleAsync(
        RetinaScreenDbContext db,
        CancellationToken cancellationToken,
        string? status = null,
        int page = 1,
        int pageSize = DefaultPageSize)
    {
        var query = db.Screenings.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!Enum.TryParse<ScreeningStatus>(status, ignoreCase: true, out var wanted) || !Enum.IsDefined(wanted) || int.TryParse(status, out _))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["status"] = [$"Unknown status. Use one of {string.Join(", ", Enum.GetNames<ScreeningStatus>())}."],
                });
            }

            query = query.Where(c => c.Status == wanted);
        }

        page = Math.Clamp(page, 1, MaxPage);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);

        var total = await query.CountAsync(cancellationToken);
        var rows = await query
            .OrderByDescending(c => c.ReceivedAt)
            .ThenByDescending(c => c.Id)
            .Skip((page - 1) * pageSize)
            .Take(pageSize)
            .Select(c => new
            {
                c.Study!.StudyInstanceUid,
                c.Study.Patient!.PatientId,
                c.Study.StudyDate,
                c.Study.InstitutionName,
                c.Status,
                c.WorstGrade,
                c.ReferableDr,
                c.ReferableDme,
                c.AnyUngradable,
                c.ReceivedAt,
                c.GradedAt,
                c.FailureReason,
            })
            .ToListAsync(cancellationToken);

        var items = rows.Select(r => new ScreeningListItem(
                r.StudyInstanceUid,
                r.PatientId,
                r.StudyDate,
                r.InstitutionName,
                r.Status.ToString(),
                r.WorstGrade,
                IcdrGrade.Name(r.WorstGrade),
                r.ReferableDr,
                r.ReferableDme,
                r.AnyUngradable,
                r.ReceivedAt,
                r.GradedAt)
            {
                FailureReason = r.FailureReason,
            })
            .ToList();
        return TypedResults.Ok(new ScreeningListResponse(page, pageSize, total, items));
    }
}
