using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data.Auditing;
using RetinaScreen.Data.Configuration;
using RetinaScreen.Data.Identity;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data;

/// <summary>The one EF Core model of RetinaScreen, used the same way on SQLite and PostgreSQL.</summary>
public sealed class RetinaScreenDbContext(DbContextOptions<RetinaScreenDbContext> options)
    : IdentityDbContext<RetinaScreenUser>(options), IDataProtectionKeyContext
{
    public DbSet<Patient> Patients => Set<Patient>();
    public DbSet<Study> Studies => Set<Study>();
    public DbSet<Series> Series => Set<Series>();
    public DbSet<Instance> Instances => Set<Instance>();
    public DbSet<QuarantinedInstance> QuarantinedInstances => Set<QuarantinedInstance>();
    public DbSet<ScreeningCase> Screenings => Set<ScreeningCase>();
    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();
    public DbSet<Prediction> Predictions => Set<Prediction>();
    public DbSet<Reading> Readings => Set<Reading>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<RetinaScreen.Data.Pathology.SlideAnalysis> SlideAnalyses => Set<RetinaScreen.Data.Pathology.SlideAnalysis>();
    public DbSet<RetinaScreen.Data.Outbox.OutboxMessage> OutboxMessages => Set<RetinaScreen.Data.Outbox.OutboxMessage>();
    public DbSet<RetinaScreen.Data.Devices.Device> Devices => Set<RetinaScreen.Data.Devices.Device>();
    /// <summary>ASP.NET Core data-protection keys (they sign login tokens), shared by every portal replica.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<PortableConverters.UtcTicksConverter>();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(RetinaScreenDbContext).Assembly);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseAuditChanges();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseAuditChanges();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>Audit records are append-only: an update or delete through the model is a programming error.</summary>
    private void RefuseAuditChanges()
    {
        foreach (var entry in ChangeTracker.Entries<AuditEvent>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
            {
                throw new InvalidOperationException("Audit events are append-only and cannot be changed or deleted.");
            }
        }
    }
}
