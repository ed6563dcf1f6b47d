using Microsoft.Data.Sqlite;

namespace RetinaScreen.Integration.Tests.Ingest;

internal static class Part10
{
    /// <summary>
    /// The data set of a Part 10 file: everything after the 128-byte preamble, "DICM" and the file meta group,
    /// whose length (0002,0000) is its first element. Peers rewrite the meta group (their own implementation UID,
    /// source AE) but must not touch the data set.
    /// </summary>
    public static byte[] Dataset(byte[] file)
    {
        Assert.True(file.Length > 144 && file[128] == 'D' && file[129] == 'I' && file[130] == 'C' && file[131] == 'M', "not a Part 10 file");
        // (0002,0000) UL, explicit VR: tag 4 bytes, "UL", length 2 bytes, value 4 bytes.
        Assert.True(file[132] == 0x02 && file[133] == 0 && file[134] == 0 && file[135] == 0, "file meta group does not start with its group length");
        var groupLength = BitConverter.ToUInt32(file, 140);
        return file[(144 + (int)groupLength)..];
    }

    public static byte[] Dataset(string path) => Dataset(File.ReadAllBytes(path));

    /// <summary>The object RetinaScreen stored for an instance (found through the database), read back from its data folder.</summary>
    public static async Task<byte[]?> StoredObjectAsync(string dataFolder, string sopInstanceUid)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataFolder, "retinascreen.db"),
            Mode = SqliteOpenMode.ReadOnly,
        }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Sha256 FROM Instances WHERE SopInstanceUid = $uid";
        command.Parameters.AddWithValue("$uid", sopInstanceUid);
        if (await command.ExecuteScalarAsync() is not string sha)
        {
            return null;
        }

        var path = Directory.EnumerateFiles(Path.Combine(dataFolder, "objects"), sha + ".dcm", SearchOption.AllDirectories).Single();
        return await File.ReadAllBytesAsync(path);
    }

    public static async Task<string?> ScalarAsync(string dataFolder, string sql, string sopInstanceUid)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataFolder, "retinascreen.db"),
            Mode = SqliteOpenMode.ReadOnly,
        }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$uid", sopInstanceUid);
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}
