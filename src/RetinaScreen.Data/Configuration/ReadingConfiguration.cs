using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class ReadingConfiguration : IEntityTypeConfiguration<Reading>
{
    public void Configure(EntityTypeBuilder<Reading> builder)
    {
        builder.ToTable("Readings", t =>
        {
            t.HasCheckConstraint("CK_Readings_RightGrade", "\"RightGrade\" IS NULL OR (\"RightGrade\" >= 0 AND \"RightGrade\" <= 4)");
            t.HasCheckConstraint("CK_Readings_LeftGrade", "\"LeftGrade\" IS NULL OR (\"LeftGrade\" >= 0 AND \"LeftGrade\" <= 4)");
        });
        builder.HasOne(r => r.ScreeningCase).WithMany().HasForeignKey(r => r.ScreeningCaseId).OnDelete(DeleteBehavior.Restrict);
        // A person reads a case once: a second submission is a conflict, not a silent second vote.
        builder.HasIndex(r => new { r.ScreeningCaseId, r.ReaderId }).IsUnique();
        // A reader's own history, newest first.
        builder.HasIndex(r => new { r.ReaderId, r.SubmittedAt });
        builder.Property(r => r.ReaderId).HasMaxLength(64);
        builder.Property(r => r.Queue).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.Referral).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.ComputedReferral).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.MetastasisSize).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.OverrideReason).HasMaxLength(500);
        builder.Property(r => r.Comment).HasMaxLength(2000);
        builder.ComplexProperty(r => r.Right, Eye("Right"));
        builder.ComplexProperty(r => r.Left, Eye("Left"));
    }

    private static Action<ComplexPropertyBuilder<EyeReading>> Eye(string side) => eye =>
    {
        eye.Property(e => e.Grade).HasColumnName(side + "Grade");
        eye.Property(e => e.Dme).HasColumnName(side + "Dme");
        eye.Property(e => e.Ungradable).HasColumnName(side + "Ungradable");
        eye.Property(e => e.UngradableReason).HasColumnName(side + "UngradableReason").HasMaxLength(64);
        eye.Ignore(e => e.Referable);
    };
}
