using System.Security.Claims;
using RetinaScreen.Portal.Accounts;

namespace RetinaScreen.Portal.Images;

/// <summary>
/// A person's read of an image is a PHI access (DICOM audit message "DICOM Instances Accessed"): one audit event per
/// read, naming the instance and the user, never the patient.
/// </summary>
internal static class InstanceAccessAudit
{
    public const string Action = "instance.accessed";

    public static Task AppendAsync(AuditTrail audit, ClaimsPrincipal user, string sopInstanceUid, string outcome, CancellationToken cancellationToken) =>
        audit.TryAppendAsync(
            AuditTrail.ActorOf(user),
            Action,
            "Instance",
            sopInstanceUid,
            new { eventId = "DICOM Instances Accessed", outcome },
            cancellationToken);
}
