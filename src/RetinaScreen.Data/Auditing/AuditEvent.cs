namespace RetinaScreen.Data.Auditing;

/// <summary>
/// An append-only record of something that happened (an image arrived, a model decided, a user logged in).
/// Never updated or deleted: the DbContext refuses it.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    /// <summary>Who: a user name, "dicom:CALLINGAE@address" or "model:name/version".</summary>
    public required string Actor { get; set; }
    /// <summary>What, as a dotted verb: "instance.received", "prediction.created", "user.login".</summary>
    public required string Action { get; set; }
    public string? EntityType { get; set; }
    public string? EntityId { get; set; }
    /// <summary>A JSON object with the details (no free-text patient data).</summary>
    public string? Details { get; set; }
}
