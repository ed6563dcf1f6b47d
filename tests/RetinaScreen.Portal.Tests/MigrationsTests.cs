using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RetinaScreen.Data;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// Each provider's migrations must describe the model exactly (no model change without a migration). Neither check
/// connects to a database, so PostgreSQL's is checked without a server.
/// </summary>
public sealed class MigrationsTests
{
    [Fact]
    public void Sqlite_migrations_match_the_model()
    {
        using var db = new RetinaScreenDbContext(new DbContextOptionsBuilder<RetinaScreenDbContext>()
            .UseRetinaScreenSqlite("Data Source=:memory:")
            .Options);

        Assert.False(db.Database.HasPendingModelChanges());
        Assert.Contains(db.Database.GetMigrations(), name => name.EndsWith("_Initial", StringComparison.Ordinal));
    }

    [Fact]
    public void PostgreSql_migrations_match_the_model()
    {
        using var db = new RetinaScreenDbContext(new DbContextOptionsBuilder<RetinaScreenDbContext>()
            .UseRetinaScreenPostgreSql("Host=127.0.0.1;Database=unused")
            .Options);

        Assert.False(db.Database.HasPendingModelChanges());
        var script = db.GetService<IMigrator>().GenerateScript();
        Assert.Contains("CREATE UNIQUE INDEX \"IX_Predictions_InstanceId_ModelVersionId\"", script, StringComparison.Ordinal);
        Assert.Contains("CREATE TRIGGER \"AuditEvents_NoChange\"", script, StringComparison.Ordinal);
    }
}
