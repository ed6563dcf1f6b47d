using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class StudyConfiguration : IEntityTypeConfiguration<Study>
{
    public void Configure(EntityTypeBuilder<Study> builder)
    {
        builder.ToTable("Studies");
        builder.Property(s => s.StudyInstanceUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(s => s.StudyDate).HasMaxLength(DicomLengths.Date);
        builder.Property(s => s.AccessionNumber).HasMaxLength(DicomLengths.ShortString);
        builder.Property(s => s.Description).HasMaxLength(DicomLengths.LongString);
        builder.Property(s => s.InstitutionName).HasMaxLength(DicomLengths.LongString);

        builder.HasIndex(s => s.StudyInstanceUid).IsUnique();
        // The worklist filters by sending site and date.
        builder.HasIndex(s => new { s.InstitutionName, s.StudyDate });

        builder.HasOne(s => s.Patient)
            .WithMany(p => p.Studies)
            .HasForeignKey(s => s.PatientId)
            .OnDelete(DeleteBehavior.Restrict);

        builder.HasOne(s => s.Screening)
            .WithOne(c => c.Study)
            .HasForeignKey<ScreeningCase>(c => c.StudyId)
            .OnDelete(DeleteBehavior.Cascade);
    }
}
