using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Inference.Models;

/// <summary>
/// The model registry's database side: every prediction names a recorded model version, and a version is recorded with
/// the SHA-256 of the file that made it, once.
/// </summary>
internal static class ModelVersionRegistry
{
    /// <summary>
    /// The recorded version of <paramref name="identity"/>, recording it on first use. A version already recorded with
    /// another hash is refused: a changed model must carry a new version, or predictions could not be traced to it.
    /// </summary>
    public static async Task<ModelVersion> EnsureAsync(RetinaScreenDbContext db, ModelIdentity identity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await db.ModelVersions.FirstOrDefaultAsync(m => m.Name == identity.Name && m.Version == identity.Version, cancellationToken);
        if (existing is not null)
        {
            if (!string.Equals(existing.Sha256, identity.Sha256, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"Model {identity.Name} {identity.Version} was recorded with another SHA-256; a changed model needs a new version.");
            }

            return existing;
        }

        var created = new ModelVersion { Name = identity.Name, Version = identity.Version, Sha256 = identity.Sha256, FirstSeenAt = now };
        db.ModelVersions.Add(created);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return created;
        }
        catch (DbUpdateException)
        {
            // Another worker recorded it first.
            db.Entry(created).State = EntityState.Detached;
            return await db.ModelVersions.FirstAsync(m => m.Name == identity.Name && m.Version == identity.Version, cancellationToken);
        }
    }
}
