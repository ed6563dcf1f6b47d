using Microsoft.Data.Sqlite;

namespace RetinaScreen.Integration.Tests.Infrastructure;

/// <summary>Reads the running host's SQLite database directly (read-only), to check what was really recorded.</summary>
internal sealed class DatabaseProbe(string dataFolder)
{
    private string ConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataFolder, "retinascreen.db"),
        Mode = SqliteOpenMode.ReadOnly,
    }.ToString();

    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    public Task<long> InstancesAsync(string sopInstanceUid) =>
        CountAsync("SELECT COUNT(*) FROM Instances WHERE SopInstanceUid = $uid", ("$uid", sopInstanceUid));

    public Task<long> PredictionsAsync(string sopInstanceUid) =>
        CountAsync("SELECT COUNT(*) FROM Predictions p JOIN Instances i ON i.Id = p.InstanceId WHERE i.SopInstanceUid = $uid", ("$uid", sopInstanceUid));

    public Task<long> ScreeningsAsync(string studyInstanceUid) =>
        CountAsync("SELECT COUNT(*) FROM Screenings c JOIN Studies s ON s.Id = c.StudyId WHERE s.StudyInstanceUid = $uid", ("$uid", studyInstanceUid));

    public Task<long> AllInstancesAsync() => CountAsync("SELECT COUNT(*) FROM Instances");
}
