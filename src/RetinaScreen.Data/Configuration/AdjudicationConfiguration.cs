using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class AdjudicationConfiguration : IEntityTypeConfiguration<Adjudication>
{
    public void Configure(EntityTypeBuilder<Adjudication> builder)
    {
        builder.ToTable("Adjudications", t => t.HasCheckConstraint("CK_Adjudications_Grade", "\"Grade\" IS NULL OR (\"Grade\" >= 0 AND \"Grade\" <= 4)"));
        builder.HasOne(a => a.ScreeningCase).WithMany().HasForeignKey(a => a.ScreeningCaseId).OnDelete(DeleteBehavior.Restrict);
        // One final reading per case.
        builder.HasIndex(a => a.ScreeningCaseId).IsUnique();
        builder.Property(a => a.AdjudicatorId).HasMaxLength(64);
        builder.Property(a => a.Rationale).HasMaxLength(2000);
    }
}
