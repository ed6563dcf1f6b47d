using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using RetinaScreen.Data;

namespace RetinaScreen.Migrations.Sqlite;

/// <summary>
/// Lets <c>dotnet ef migrations add NAME --project migrations/RetinaScreen.Migrations.Sqlite</c> build the model
/// without a host. The file named here is never opened by <c>migrations add</c>.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RetinaScreenDbContext>
{
    public RetinaScreenDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<RetinaScreenDbContext>()
            .UseRetinaScreenSqlite("Data Source=retinascreen-design.db")
            .Options;
        return new RetinaScreenDbContext(options);
    }
}
