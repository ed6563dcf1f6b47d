using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Configuration;

internal sealed class SeriesConfiguration : IEntityTypeConfiguration<Series>
{
    public void Configure(EntityTypeBuilder<Series> builder)
    {
        builder.ToTable("Series");
        builder.Property(s => s.SeriesInstanceUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(s => s.Modality).HasMaxLength(DicomLengths.CodeString);
        builder.Property(s => s.Manufacturer).HasMaxLength(DicomLengths.LongString);
        builder.Property(s => s.ManufacturerModelName).HasMaxLength(DicomLengths.LongString);

        builder.HasIndex(s => s.SeriesInstanceUid).IsUnique();

        builder.HasOne(s => s.Study)
            .WithMany(s => s.Series)
            .HasForeignKey(s => s.StudyId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
