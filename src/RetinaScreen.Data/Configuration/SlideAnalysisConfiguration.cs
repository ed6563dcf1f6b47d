using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Pathology;

namespace RetinaScreen.Data.Configuration;

internal sealed class SlideAnalysisConfiguration : IEntityTypeConfiguration<SlideAnalysis>
{
    public void Configure(EntityTypeBuilder<SlideAnalysis> builder)
    {
        builder.ToTable("SlideAnalyses");
        // Stored by name: readable in the database and unaffected by renumbering the enum.
        builder.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.ImageSha256).HasMaxLength(DicomLengths.Sha256);
        builder.Property(a => a.HeatmapKey).HasMaxLength(256);
        builder.Property(a => a.TopRegions).HasMaxLength(4096);
        builder.Property(a => a.FailureReason).HasMaxLength(512);

        // What makes analysis idempotent: a redelivered message cannot start a second analysis by the same model.
        builder.HasIndex(a => new { a.InstanceId, a.ModelVersionId }).IsUnique();

        builder.HasOne(a => a.Instance)
            .WithMany()
            .HasForeignKey(a => a.InstanceId)
            .OnDelete(DeleteBehavior.Cascade);

        // A model version that has made decisions is evidence; it cannot be deleted from under them.
        builder.HasOne(a => a.ModelVersion)
            .WithMany()
            .HasForeignKey(a => a.ModelVersionId)
            .OnDelete(DeleteBehavior.Restrict);
    }
}
