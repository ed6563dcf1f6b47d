using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

public sealed record SetUserRolesRequest(IReadOnlyList<string>? Roles);

/// <summary>
/// <c>PUT /api/admin/users/{id}/roles</c>: replaces the account's roles. Admins only. Roles are read from the
/// database on each request (<see cref="AccountAccess"/>), so the change applies to tokens already issued. Audited by
/// <see cref="AuditingUserManager"/>. An administrator cannot take the Admin role from their own account.
/// </summary>
internal static class SetUserRoles
{
    public static void Map(IEndpointRouteBuilder admin) =>
        admin.MapPut("/users/{id}/roles", HandleAsync).WithName("SetUserRoles").WithTags("Administration");

    private static async Task<Results<Ok<UserResponse>, NotFound<ProblemDetails>, ValidationProblem>> HandleAsync(
        string id, SetUserRolesRequest request, ClaimsPrincipal principal, UserManager<RetinaScreenUser> users, TimeProvider clock, ILoggerFactory loggers)
    {
        var wanted = new List<string>();
        foreach (var requested in request.Roles ?? [])
        {
            var role = Roles.All.FirstOrDefault(known => string.Equals(known, requested, StringComparison.OrdinalIgnoreCase));
            if (role is null)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["roles"] = [$"Unknown role '{requested}'. Roles are {string.Join(", ", Roles.All)}."],
                });
            }

            if (!wanted.Contains(role))
            {
                wanted.Add(role);
            }
        }

        var user = await users.FindByIdAsync(id);
        if (user is null)
        {
            return DisableUser.NoSuchUser();
        }

        if (string.Equals(users.GetUserId(principal), user.Id, StringComparison.Ordinal) && !wanted.Contains(Roles.Admin))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["roles"] = ["An administrator cannot take the Admin role from their own account."],
            });
        }

        var current = await users.GetRolesAsync(user);
        var removed = current.Except(wanted).ToList();
        var added = wanted.Except(current).ToList();
        if (removed.Count > 0)
        {
            Ensure(await users.RemoveFromRolesAsync(user, removed));
        }

        if (added.Count > 0)
        {
            Ensure(await users.AddToRolesAsync(user, added));
        }

        var logger = loggers.CreateLogger(typeof(SetUserRoles));
        var actor = AuditTrail.ActorOf(principal);
        var roleList = string.Join(",", wanted);
        PortalLog.UserRolesSet(logger, actor, user.Id, roleList);
        return TypedResults.Ok(await UserResponse.OfAsync(users, user, clock.GetUtcNow()));
    }

    private static void Ensure(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not change the roles: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }
    }
}
