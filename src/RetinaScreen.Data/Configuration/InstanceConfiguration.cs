using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Configuration;

internal sealed class InstanceConfiguration : IEntityTypeConfiguration<Instance>
{
    public void Configure(EntityTypeBuilder<Instance> builder)
    {
        builder.ToTable("Instances");
        builder.Property(i => i.SopInstanceUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(i => i.SopClassUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(i => i.TransferSyntaxUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(i => i.Laterality).HasMaxLength(DicomLengths.CodeString);
        builder.Property(i => i.StorageKey).HasMaxLength(DicomLengths.StorageKey);
        builder.Property(i => i.Sha256).HasMaxLength(DicomLengths.Sha256);
        // Not the bare AE title: the sender as ingest names it ("dicom:AE", "stow:device", "queue:device"), as audit actors are.
        builder.Property(i => i.SourceAeTitle).HasMaxLength(256);
        builder.Property(i => i.SourceAddress).HasMaxLength(DicomLengths.NetworkAddress);

        // The idempotency key of the pipeline: a re-sent instance finds its row instead of making a second one.
        builder.HasIndex(i => i.SopInstanceUid).IsUnique();

        builder.HasOne(i => i.Series)
            .WithMany(s => s.Instances)
            .HasForeignKey(i => i.SeriesId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
