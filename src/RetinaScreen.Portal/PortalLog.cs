using Microsoft.Extensions.Logging;

namespace RetinaScreen.Portal;

/// <summary>
/// The portal's log messages (event ids 3000–3099). Users appear by their account id or e-mail, never with patient data.
/// </summary>
internal static partial class PortalLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Created role {Role}")]
    public static partial void RoleCreated(ILogger logger, string role);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message =
        "No user exists and no administrator password was configured (RetinaScreen__Bootstrap__AdminPassword). " +
        "Created administrator {AdminEmail} with the one-time password {OneTimePassword} . It is shown only this once and " +
        "must be changed at the first sign-in; until then the account can do nothing else.")]
    public static partial void BootstrapAdminGenerated(ILogger logger, string adminEmail, string oneTimePassword);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "No user existed: created administrator {AdminEmail} from configuration")]
    public static partial void BootstrapAdminConfigured(ILogger logger, string adminEmail);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Another process created the first administrator at the same time; keeping theirs")]
    public static partial void BootstrapRaceLost(ILogger logger);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "User {UserId} signed in")]
    public static partial void LoginSucceeded(ILogger logger, string userId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Failed sign-in for user {UserId}")]
    public static partial void LoginFailed(ILogger logger, string userId);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Sign-in refused for user {UserId}: the account is disabled")]
    public static partial void LoginRefusedDisabled(ILogger logger, string userId);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Failed sign-in for an unknown account")]
    public static partial void LoginFailedUnknownAccount(ILogger logger);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "Sign-in attempts from {Source} refused for a while: {Reason}")]
    public static partial void SignInThrottled(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "User {UserId} signed out")]
    public static partial void SignedOut(ILogger logger, string userId);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "User {ActorId} created user {UserId} with roles {Roles}")]
    public static partial void UserCreated(ILogger logger, string actorId, string userId, string roles);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "User {UserId} changed their password")]
    public static partial void PasswordChanged(ILogger logger, string userId);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "User {ActorId} disabled user {UserId}")]
    public static partial void UserDisabled(ILogger logger, string actorId, string userId);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Information, Message = "User {ActorId} enabled user {UserId}")]
    public static partial void UserEnabled(ILogger logger, string actorId, string userId);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Information, Message = "User {ActorId} set the roles of user {UserId} to {Roles}")]
    public static partial void UserRolesSet(ILogger logger, string actorId, string userId, string roles);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Information, Message = "User {ActorId} reset the password of user {UserId}")]
    public static partial void PasswordReset(ILogger logger, string actorId, string userId);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message =
        "No certificate protects the sign-in keys at rest (RetinaScreen__Portal__KeyProtection__CertificatePath): generated one at {Path} " +
        "(readable by this account only). Back it up with the data folder; every portal process of one installation needs the same file.")]
    public static partial void KeyCertificateGenerated(ILogger logger, string path);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Warning, Message =
        "Removed {Count} sign-in key(s) that were stored unencrypted; an encrypted key replaces them, and whoever signed in with them signs in again")]
    public static partial void PlaintextKeysRemoved(ILogger logger, int count);

    [LoggerMessage(EventId = 3090, Level = LogLevel.Warning, Message = "Could not write the audit event {Action}")]
    public static partial void AuditWriteFailed(ILogger logger, Exception exception, string action);
}
