using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Data.Configuration;

internal sealed class RetinaScreenUserConfiguration : IEntityTypeConfiguration<RetinaScreenUser>
{
    public void Configure(EntityTypeBuilder<RetinaScreenUser> builder)
    {
        builder.Property(u => u.DisplayName).HasMaxLength(256);
    }
}
