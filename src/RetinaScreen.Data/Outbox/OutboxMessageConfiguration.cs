using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RetinaScreen.Data.Outbox;

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("OutboxMessages");
        builder.Property(m => m.Type).HasMaxLength(256);
        builder.Property(m => m.TraceParent).HasMaxLength(64);
        // The dispatcher's query: undispatched rows, oldest first; and the clean-up of old dispatched rows.
        builder.HasIndex(m => new { m.DispatchedAt, m.CreatedAt });
    }
}
