using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class ModelVersionConfiguration : IEntityTypeConfiguration<ModelVersion>
{
    public void Configure(EntityTypeBuilder<ModelVersion> builder)
    {
        builder.ToTable("ModelVersions");
        builder.Property(m => m.Name).HasMaxLength(128);
        builder.Property(m => m.Version).HasMaxLength(64);
        builder.Property(m => m.Sha256).HasMaxLength(DicomLengths.Sha256);

        builder.HasIndex(m => new { m.Name, m.Version }).IsUnique();
    }
}
