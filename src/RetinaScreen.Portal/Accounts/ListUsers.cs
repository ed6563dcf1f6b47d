using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;

namespace RetinaScreen.Portal.Accounts;

/// <summary><c>GET /api/admin/users</c>: every account with its roles. Admins only.</summary>
internal static class ListUsers
{
    public static void Map(IEndpointRouteBuilder admin) =>
        admin.MapGet("/users", HandleAsync).WithName("ListUsers").WithTags("Administration");

    private static async Task<Ok<List<UserResponse>>> HandleAsync(RetinaScreenDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var users = await db.Users.AsNoTracking()
            .OrderBy(user => user.Email)
            .Select(user => new { user.Id, user.Email, user.UserName, user.DisplayName, user.MustChangePassword, user.LockoutEnd })
            .ToListAsync(cancellationToken);
        var roles = await (
                from userRole in db.UserRoles
                join role in db.Roles on userRole.RoleId equals role.Id
                select new { userRole.UserId, role.Name })
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        var rolesByUser = roles.ToLookup(entry => entry.UserId, entry => entry.Name ?? "");

        var now = clock.GetUtcNow();
        return TypedResults.Ok(users
            .Select(user => new UserResponse(
                user.Id,
                user.Email ?? user.UserName ?? "",
                user.DisplayName,
                [.. rolesByUser[user.Id].Order()],
                user.MustChangePassword,
                UserResponse.IsDisabled(user.LockoutEnd, now)))
            .ToList());
    }
}
