using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class PredictionConfiguration : IEntityTypeConfiguration<Prediction>
{
    public void Configure(EntityTypeBuilder<Prediction> builder)
    {
        builder.ToTable("Predictions");
        builder.Property(p => p.UngradableReason).HasMaxLength(256);
        builder.Property(p => p.ImageSha256).HasMaxLength(DicomLengths.Sha256);
        builder.Property(p => p.HeatmapKey).HasMaxLength(256);
        builder.Property(p => p.GradeProbabilities)
            .HasConversion(new PortableConverters.DoubleArrayConverter(), new PortableConverters.DoubleArrayComparer())
            .HasMaxLength(512);

        // What makes grading idempotent: a redelivered message cannot add a second prediction.
        builder.HasIndex(p => new { p.InstanceId, p.ModelVersionId }).IsUnique();

        builder.HasOne(p => p.Instance)
            .WithMany(i => i.Predictions)
            .HasForeignKey(p => p.InstanceId)
            .OnDelete(DeleteBehavior.Cascade);

        // A model version that has made decisions is evidence; it cannot be deleted from under them.
        builder.HasOne(p => p.ModelVersion)
            .WithMany()
            .HasForeignKey(p => p.ModelVersionId)
            .OnDelete(DeleteBehavior.Restrict);
    }
}
