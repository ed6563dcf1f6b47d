using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RetinaScreen.Data;

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

public static class RetinaScreenDataExtensions
{
    /// <summary><c>Sqlite</c> (default) or <c>PostgreSql</c>.</summary>
    public const string ProviderKey = "RetinaScreen:Database:Provider";
    /// <summary>Folder of the SQLite file (and, for the hosts, of the object store); default <c>./data</c>.</summary>
    public const string DataPathKey = "RetinaScreen:DataPath";
    /// <summary>Name under <c>ConnectionStrings</c> of the PostgreSQL connection string.</summary>
    public const string ConnectionStringName = "RetinaScreen";
    public const string SqliteFileName = "retinascreen.db";

    /// <summary>
    /// Registers <see cref="RetinaScreenDbContext"/> (scoped) and <see cref="IDbContextFactory{TContext}"/> for the
    /// provider chosen by <c>RetinaScreen:Database:Provider</c>. Calling it twice registers once.
    /// </summary>
    public static IHostApplicationBuilder AddRetinaScreenData(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(IDbContextFactory<RetinaScreenDbContext>)))
        {
            return builder;
        }

        var configuration = builder.Configuration;
        switch (ReadProvider(configuration))
        {
            case DatabaseProvider.PostgreSql:
                var postgres = configuration.GetConnectionString(ConnectionStringName);
                if (string.IsNullOrWhiteSpace(postgres))
                {
                    throw new InvalidOperationException(
                        $"{ProviderKey} is PostgreSql but ConnectionStrings:{ConnectionStringName} (env ConnectionStrings__{ConnectionStringName}) is not set.");
                }

                builder.Services.AddDbContextFactory<RetinaScreenDbContext>(options => options.UseRetinaScreenPostgreSql(postgres));
                break;
            default:
                var sqlite = SqliteConnectionString(configuration[DataPathKey] ?? "./data");
                // AddDbContextFactory also registers the context itself as a scoped service.
                builder.Services.AddDbContextFactory<RetinaScreenDbContext>(options => options.UseRetinaScreenSqlite(sqlite));
                break;
        }

        return builder;
    }

    /// <summary>Applies the pending migrations of the configured provider (and creates the database if needed).</summary>
    public static async Task MigrateRetinaScreenDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<RetinaScreenDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Database.MigrateAsync(ct);
    }

    public static DatabaseProvider ReadProvider(IConfiguration configuration)
    {
        var value = configuration[ProviderKey];
        if (string.IsNullOrWhiteSpace(value) || value.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return DatabaseProvider.Sqlite;
        }

        if (value.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase) || value.Equals("Postgres", StringComparison.OrdinalIgnoreCase))
        {
            return DatabaseProvider.PostgreSql;
        }

        throw new InvalidOperationException($"{ProviderKey} must be Sqlite or PostgreSql, not '{value}'.");
    }

    /// <summary>
    /// The SQLite file under <paramref name="dataPath"/>. The folder (0700) and the file (0600) are created here, or
    /// narrowed to the owner when they exist, before SQLite opens the file: SQLite gives its write-ahead log and
    /// shared-memory files the database file's mode.
    /// </summary>
    public static string SqliteConnectionString(string dataPath)
    {
        var folder = Path.GetFullPath(dataPath);
        PrivateFiles.CreateOrRestrictFolder(folder);
        var file = Path.Combine(folder, SqliteFileName);
        PrivateFiles.CreateOrRestrictFile(file);
        if (new FileInfo(file).Length == 0)
        {
            // An empty file is not yet a database, and EF opens an existing file read-only to look at it first: a
            // database in write-ahead-log mode it can open that way (the connections' pragmas then change nothing).
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }

        foreach (var companion in new[] { file + "-wal", file + "-shm", file + "-journal" })
        {
            if (File.Exists(companion))
            {
                PrivateFiles.CreateOrRestrictFile(companion);
            }
        }

        return new SqliteConnectionStringBuilder
        {
            DataSource = file,
            // Microsoft.Data.Sqlite retries a busy database until the command timeout.
            DefaultTimeout = RetinaScreenDatabase.SqliteBusyTimeoutSeconds,
            Pooling = true,
        }.ToString();
    }
}
