using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal.ReadingRoom;

/// <summary>The screening module's refusals as problem details: one status and title per refusal.</summary>
internal static class CaseProblems
{
    public static ProblemHttpResult From(CaseRefusal refusal, string? detail) => Problem(refusal, detail, refusal switch
    {
        CaseRefusal.NotFound => (StatusCodes.Status404NotFound, "Case not found"),
        CaseRefusal.Forbidden => (StatusCodes.Status403Forbidden, "Not your queue"),
        CaseRefusal.NotWaiting => (StatusCodes.Status409Conflict, "Case is not waiting for a reading"),
        CaseRefusal.HeldByAnother => (StatusCodes.Status409Conflict, "Case is claimed by another reader"),
        CaseRefusal.AlreadyRead => (StatusCodes.Status409Conflict, "Already read"),
        CaseRefusal.NotClaimed => (StatusCodes.Status409Conflict, "Case not claimed"),
        CaseRefusal.LeaseLapsed => (StatusCodes.Status409Conflict, "Claim lapsed"),
        _ => (StatusCodes.Status400BadRequest, "Invalid reading"),
    });

    /// <summary>The refusal's name travels as <c>code</c>, for clients that act on it (the portal re-claims after <c>LeaseLapsed</c>).</summary>
    private static ProblemHttpResult Problem(CaseRefusal refusal, string? detail, (int Status, string Title) problem) =>
        TypedResults.Problem(statusCode: problem.Status, title: problem.Title, detail: detail, extensions: new Dictionary<string, object?> { ["code"] = refusal.ToString() });
}
