using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

public sealed record MeResponse(string Email, string? DisplayName, IReadOnlyList<string> Roles, bool MustChangePassword);

/// <summary><c>GET /api/me</c>: who the token belongs to. Any signed-in user, even one who must change a password.</summary>
internal static class GetMe
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapGet("/me", HandleAsync).WithName("GetMe").WithTags("Accounts");

    private static async Task<Results<Ok<MeResponse>, UnauthorizedHttpResult>> HandleAsync(
        ClaimsPrincipal principal, UserManager<RetinaScreenUser> users)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        var roles = await users.GetRolesAsync(user);
        return TypedResults.Ok(new MeResponse(user.Email ?? user.UserName ?? "", user.DisplayName, [.. roles.Order()], user.MustChangePassword));
    }
}
