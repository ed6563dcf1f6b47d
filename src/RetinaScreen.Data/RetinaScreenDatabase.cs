using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace RetinaScreen.Data;

/// <summary>
/// How a <see cref="RetinaScreenDbContext"/> is pointed at each provider. The running hosts and the design-time
/// factories of the migrations projects call the same methods, so migrations are made against the model the
/// hosts use.
/// </summary>
public static class RetinaScreenDatabase
{
    public const string SqliteMigrationsAssembly = "RetinaScreen.Migrations.Sqlite";
    public const string PostgreSqlMigrationsAssembly = "RetinaScreen.Migrations.PostgreSql";

    /// <summary>How long a SQLite writer waits for another writer's lock before failing, in seconds.</summary>
    public const int SqliteBusyTimeoutSeconds = 30;

    public static TBuilder UseRetinaScreenSqlite<TBuilder>(this TBuilder options, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        options
            .UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
            .AddInterceptors(SqliteConnectionPragmas.Instance);
        return options;
    }

    public static TBuilder UseRetinaScreenPostgreSql<TBuilder>(this TBuilder options, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgreSqlMigrationsAssembly));
        return options;
    }

    /// <summary>
    /// Ingest and inference write at the same time. Write-ahead logging lets readers proceed during a write, and
    /// the busy timeout makes a second writer wait for the lock instead of failing with SQLITE_BUSY.
    /// journal_mode is a property of the file (set once, kept); busy_timeout belongs to each connection.
    /// synchronous=FULL is SQLite's usual default, set here so that no build's default can weaken it: in WAL mode it
    /// fsyncs the log at every commit, which is what lets ingest answer success only once an arrival is durable.
    /// </summary>
    private sealed class SqliteConnectionPragmas : DbConnectionInterceptor
    {
        public static readonly SqliteConnectionPragmas Instance = new();

        private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
