using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Data.Configuration;

internal sealed class PatientConfiguration : IEntityTypeConfiguration<Patient>
{
    public void Configure(EntityTypeBuilder<Patient> builder)
    {
        builder.ToTable("Patients");
        builder.Property(p => p.PatientId).HasMaxLength(DicomLengths.LongString);
        builder.Property(p => p.IssuerOfPatientId).HasMaxLength(DicomLengths.LongString);
        builder.Property(p => p.Name).HasMaxLength(DicomLengths.PersonName);
        builder.Property(p => p.BirthDate).HasMaxLength(DicomLengths.Date);
        builder.Property(p => p.Sex).HasMaxLength(DicomLengths.CodeString);

        // A Patient ID is only unique within the issuer that assigned it.
        builder.HasIndex(p => new { p.PatientId, p.IssuerOfPatientId }).IsUnique();
    }
}
