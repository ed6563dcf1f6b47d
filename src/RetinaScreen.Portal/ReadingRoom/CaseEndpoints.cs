using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using RetinaScreen.Hosting.Security;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal.ReadingRoom;

public sealed record SubmittedReadingResponse(ReadingResponse Reading, string Status, string? Queue, string? FinalSource);

/// <summary>
/// Claiming a case (<c>POST/DELETE /api/cases/{uid}/claim</c>) and submitting a reading of it
/// (<c>POST /api/cases/{uid}/readings</c>). The screening module decides; these translate its refusals to problems.
/// </summary>
internal static class CaseEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/cases/{studyInstanceUid}/claim", ClaimAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("ClaimCase")
            .WithTags("Reading");
        api.MapDelete("/cases/{studyInstanceUid}/claim", ReleaseAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("ReleaseCase")
            .WithTags("Reading");
        api.MapPost("/cases/{studyInstanceUid}/readings", SubmitAsync)
            .RequireAuthorization(AccessPolicies.CanReadCases)
            .WithName("SubmitReading")
            .WithTags("Reading");
    }

    private static async Task<Results<Ok<CaseClaim>, ProblemHttpResult>> ClaimAsync(
        string studyInstanceUid, ClaimsPrincipal principal, ScreeningLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var result = await lifecycle.ClaimAsync(studyInstanceUid, ReaderIdentity.From(principal), cancellationToken);
        return result.Value is { } claim ? TypedResults.Ok(claim) : CaseProblems.From(result.Refusal!.Value, result.Detail);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReleaseAsync(
        string studyInstanceUid, ClaimsPrincipal principal, ScreeningLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var result = await lifecycle.ReleaseAsync(studyInstanceUid, ReaderIdentity.From(principal), cancellationToken);
        return result.Refusal is { } refusal ? CaseProblems.From(refusal, result.Detail) : TypedResults.NoContent();
    }

    private static async Task<Results<Created<SubmittedReadingResponse>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        string studyInstanceUid, ReadingInput input, ClaimsPrincipal principal, ScreeningLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var reader = ReaderIdentity.From(principal);
        var result = await lifecycle.SubmitReadingAsync(studyInstanceUid, reader, input, cancellationToken);
        if (result.Errors is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, detail: result.Detail);
        }

        if (result.Value is not { } submitted)
        {
            return CaseProblems.From(result.Refusal!.Value, result.Detail);
        }

        var reading = GetCase.ToResponse(submitted.Reading, new Dictionary<string, string?> { [reader.Id] = reader.Name });
        return TypedResults.Created(
            $"/api/cases/{Uri.EscapeDataString(studyInstanceUid)}",
            new SubmittedReadingResponse(reading, submitted.Status.ToString(), submitted.Queue?.ToString(), submitted.FinalSource?.ToString()));
    }
}
