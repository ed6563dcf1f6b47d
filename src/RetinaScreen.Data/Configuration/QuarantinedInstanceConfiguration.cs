using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Configuration;

internal sealed class QuarantinedInstanceConfiguration : IEntityTypeConfiguration<QuarantinedInstance>
{
    public void Configure(EntityTypeBuilder<QuarantinedInstance> builder)
    {
        builder.ToTable("QuarantinedInstances");
        builder.Property(q => q.Reason).HasConversion<string>().HasMaxLength(32);
        builder.Property(q => q.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(q => q.Release).HasConversion<string>().HasMaxLength(32);
        builder.Property(q => q.Detail).HasMaxLength(256);
        builder.Property(q => q.SopInstanceUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(q => q.SopClassUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(q => q.StudyInstanceUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(q => q.SeriesInstanceUid).HasMaxLength(DicomLengths.Uid);
        builder.Property(q => q.PatientId).HasMaxLength(DicomLengths.LongString);
        builder.Property(q => q.IssuerOfPatientId).HasMaxLength(DicomLengths.LongString);
        builder.Property(q => q.PatientName).HasMaxLength(DicomLengths.PersonName);
        builder.Property(q => q.PatientBirthDate).HasMaxLength(DicomLengths.Date);
        builder.Property(q => q.PatientSex).HasMaxLength(DicomLengths.CodeString);
        builder.Property(q => q.StorageKey).HasMaxLength(DicomLengths.StorageKey);
        builder.Property(q => q.Sha256).HasMaxLength(DicomLengths.Sha256);
        builder.Property(q => q.Source).HasMaxLength(256);
        builder.Property(q => q.Device).HasMaxLength(128);
        builder.Property(q => q.SourceAddress).HasMaxLength(DicomLengths.NetworkAddress);
        builder.Property(q => q.ResolvedBy).HasMaxLength(256);
        builder.Property(q => q.ReleaseError).HasMaxLength(256);

        // The administrator's list: what is open, oldest first.
        builder.HasIndex(q => new { q.Status, q.ReceivedAt });
        // A re-sent quarantined object finds its open record instead of opening another.
        builder.HasIndex(q => q.SopInstanceUid);
        // The orphan sweeper keeps every object a record still names.
        builder.HasIndex(q => q.StorageKey);
    }
}
