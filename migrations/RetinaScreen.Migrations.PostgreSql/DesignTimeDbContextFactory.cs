using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using RetinaScreen.Data;

namespace RetinaScreen.Migrations.PostgreSql;

/// <summary>
/// Lets <c>dotnet ef migrations add NAME --project migrations/RetinaScreen.Migrations.PostgreSql</c> build the
/// model without a host or a server. To apply migrations from the command line, pass a connection string:
/// <c>dotnet ef database update -- "Host=...;Database=...;Username=...;Password=..."</c>.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RetinaScreenDbContext>
{
    public RetinaScreenDbContext CreateDbContext(string[] args)
    {
        var connectionString = args.Length > 0 ? args[0] : "Host=localhost;Database=retinascreen";
        var options = new DbContextOptionsBuilder<RetinaScreenDbContext>()
            .UseRetinaScreenPostgreSql(connectionString)
            .Options;
        return new RetinaScreenDbContext(options);
    }
}
