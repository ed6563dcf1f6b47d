using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RetinaScreen.Data.Devices;

namespace RetinaScreen.Data.Configuration;

internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> builder)
    {
        builder.ToTable("Devices");
        builder.Property(d => d.Name).HasMaxLength(128);
        builder.Property(d => d.Site).HasMaxLength(128);
        // AE titles are at most 16 characters (PS3.5 AE VR).
        builder.Property(d => d.AeTitle).HasMaxLength(16);
        builder.Property(d => d.AllowedAddress).HasMaxLength(64);
        builder.Property(d => d.ApiTokenSha256).HasMaxLength(64);
        builder.Property(d => d.CertificateThumbprint).HasMaxLength(64);

        builder.HasIndex(d => d.Name).IsUnique();
        // A token identifies exactly one device.
        builder.HasIndex(d => d.ApiTokenSha256).IsUnique();
        builder.HasIndex(d => d.AeTitle);
        // A certificate identifies exactly one device.
        builder.HasIndex(d => d.CertificateThumbprint).IsUnique();
    }
}
