namespace RetinaScreen.Portal.Accounts;

public sealed record UserResponse(
    string Id,
    string Email,
    string? DisplayName,
    IReadOnlyList<string> Roles,
    bool MustChangePassword,
    DateTimeOffset? LockedOutUntil);
