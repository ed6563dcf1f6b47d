using Microsoft.AspNetCore.Identity;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <param name="Disabled">An administrator disabled the account: it cannot sign in and its tokens are refused.</param>
public sealed record UserResponse(
    string Id,
    string Email,
    string? DisplayName,
    IReadOnlyList<string> Roles,
    bool MustChangePassword,
    bool Disabled)
{
    internal static bool IsDisabled(DateTimeOffset? lockoutEnd, DateTimeOffset now) => lockoutEnd > now;

    internal static async Task<UserResponse> OfAsync(UserManager<RetinaScreenUser> users, RetinaScreenUser user, DateTimeOffset now)
    {
        var roles = await users.GetRolesAsync(user);
        return new UserResponse(user.Id, user.Email ?? user.UserName ?? "", user.DisplayName, [.. roles.Order()],
            user.MustChangePassword, IsDisabled(user.LockoutEnd, now));
    }
}
