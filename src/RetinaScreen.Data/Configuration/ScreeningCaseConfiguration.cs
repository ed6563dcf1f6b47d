using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class ScreeningCaseConfiguration : IEntityTypeConfiguration<ScreeningCase>
{
    public void Configure(EntityTypeBuilder<ScreeningCase> builder)
    {
        builder.ToTable("Screenings");
        // Stored by name: readable in the database and unaffected by renumbering the enum.
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(32);

        // One screening per study; the relationship itself is configured on Study.
        builder.HasIndex(c => c.StudyId).IsUnique();
        // The worklist: a status, newest first; and all cases newest first.
        builder.HasIndex(c => new { c.Status, c.ReceivedAt });
        builder.HasIndex(c => c.ReceivedAt);
        // Worklist by priority (most urgent first within a status) and per site; Turnaround is derived.
        builder.HasIndex(c => new { c.Status, c.Priority, c.ReceivedAt });
        builder.HasIndex(c => new { c.Site, c.Status, c.ReceivedAt });
        builder.Property(c => c.Site).HasMaxLength(64);
        builder.Property(c => c.Device).HasMaxLength(64);
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Queue).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.FinalSource).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.FinalReferral).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.ClaimedById).HasMaxLength(64);
        builder.Property(c => c.FailureReason).HasMaxLength(ScreeningCase.FailureReasonMaxLength);
        // The reading room's worklist: one queue, most urgent first, then oldest first.
        builder.HasIndex(c => new { c.Queue, c.Priority, c.ReceivedAt });
        builder.Ignore(c => c.Turnaround);
    }
}
