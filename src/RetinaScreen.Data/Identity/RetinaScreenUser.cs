using Microsoft.AspNetCore.Identity;

namespace RetinaScreen.Data.Identity;

public sealed class RetinaScreenUser : IdentityUser
{
    public string? DisplayName { get; set; }
    /// <summary>Set for a bootstrap administrator whose password was generated: it must be changed.</summary>
    public bool MustChangePassword { get; set; }
}
