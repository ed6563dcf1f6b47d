using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

public sealed record CreateUserRequest(string Email, string Password, IReadOnlyList<string>? Roles, string? DisplayName = null);

/// <summary>
/// <c>POST /api/admin/users</c>: the way to add a user (public registration is closed). Admins only.
/// The password given is a one-time password: the user must change it at first sign-in. The account's creation and
/// roles are audited by <see cref="AuditingUserManager"/>.
/// </summary>
internal static class CreateUser
{
    public static void Map(IEndpointRouteBuilder admin) =>
        admin.MapPost("/users", HandleAsync).WithName("CreateUser").WithTags("Administration");

    private static async Task<Results<Created<UserResponse>, ValidationProblem>> HandleAsync(
        CreateUserRequest request,
        ClaimsPrincipal principal,
        UserManager<RetinaScreenUser> users,
        ILoggerFactory loggers)
    {
        var errors = new Dictionary<string, string[]>();
        var email = request.Email?.Trim() ?? "";
        if (email.Length == 0 || !email.Contains('@', StringComparison.Ordinal))
        {
            errors["email"] = ["A valid e-mail address is required."];
        }

        var roles = new List<string>();
        foreach (var requested in request.Roles ?? [])
        {
            var role = Roles.All.FirstOrDefault(known => string.Equals(known, requested, StringComparison.OrdinalIgnoreCase));
            if (role is null)
            {
                errors["roles"] = [$"Unknown role '{requested}'. Roles are {string.Join(", ", Roles.All)}."];
            }
            else if (!roles.Contains(role))
            {
                roles.Add(role);
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = new RetinaScreenUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(request.DisplayName) ? null : request.DisplayName.Trim(),
        };
        var created = await users.CreateAsync(user, request.Password ?? "");
        if (!created.Succeeded)
        {
            return TypedResults.ValidationProblem(created.Errors
                .GroupBy(error => error.Code)
                .ToDictionary(group => group.Key, group => group.Select(error => error.Description).ToArray()));
        }

        if (roles.Count > 0)
        {
            var added = await users.AddToRolesAsync(user, roles);
            if (!added.Succeeded)
            {
                throw new InvalidOperationException($"Could not add roles to the new user: {string.Join("; ", added.Errors.Select(e => e.Description))}");
            }
        }

        var actor = principal.Identity?.Name ?? "unknown";
        var logger = loggers.CreateLogger(typeof(CreateUser));
        var roleList = string.Join(",", roles);
        PortalLog.UserCreated(logger, actor, user.Id, roleList);

        return TypedResults.Created($"/api/admin/users/{user.Id}",
            new UserResponse(user.Id, email, user.DisplayName, roles, user.MustChangePassword, Disabled: false));
    }
}
