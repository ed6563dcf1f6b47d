using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Configuration;

internal sealed class ReviewConfiguration : IEntityTypeConfiguration<Review>
{
    public void Configure(EntityTypeBuilder<Review> builder)
    {
        builder.ToTable("Reviews", t => t.HasCheckConstraint("CK_Reviews_Grade", "\"Grade\" IS NULL OR (\"Grade\" >= 0 AND \"Grade\" <= 4)"));
        builder.HasOne(r => r.ScreeningCase).WithMany().HasForeignKey(r => r.ScreeningCaseId).OnDelete(DeleteBehavior.Restrict);
        // A grader reads a case once: a second submission is a conflict, not a silent second vote.
        builder.HasIndex(r => new { r.ScreeningCaseId, r.ReviewerId }).IsUnique();
        // A grader's own history, newest first.
        builder.HasIndex(r => new { r.ReviewerId, r.ReviewedAt });
        builder.Property(r => r.ReviewerId).HasMaxLength(64);
        builder.Property(r => r.Comment).HasMaxLength(2000);
    }
}
