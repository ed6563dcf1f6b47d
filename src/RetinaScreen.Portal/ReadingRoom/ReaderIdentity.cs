using System.Security.Claims;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal.ReadingRoom;

/// <summary>The signed-in person as the screening module sees them.</summary>
internal static class ReaderIdentity
{
    public static Reader From(ClaimsPrincipal principal) => new(
        principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("A signed-in user has an id claim."),
        principal.Identity?.Name ?? "unknown",
        [.. principal.FindAll(ClaimTypes.Role).Select(claim => claim.Value)]);
}
