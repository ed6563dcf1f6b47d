namespace RetinaScreen.Data;

/// <summary>
/// Files and folders only the service account may open: the database, its write-ahead log, the stored objects and
/// the key files hold patient data or secrets. Modes are given at creation (so no umask widens them and there is no
/// moment when another account could open them); on Windows the folder's ACL applies instead.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and missing parents) as 0700; an existing one keeps its mode.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, FolderMode);
    }

    /// <summary>Creates the folder as 0700, or takes group and other access away from an existing one.</summary>
    public static void CreateOrRestrictFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        if (Directory.Exists(path))
        {
            Restrict(path);
        }
        else
        {
            Directory.CreateDirectory(path, FolderMode);
        }
    }

    /// <summary>Creates an empty file as 0600 when it is missing, or takes group and other access away from it.</summary>
    public static void CreateOrRestrictFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (File.Exists(path))
        {
            Restrict(path);
            return;
        }

        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created by another process in the meantime.
            Restrict(path);
        }
    }

    /// <summary>Writes a new file, 0600 from its creation, flushed to disk.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> content)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        using var file = new FileStream(path, options);
        file.Write(content);
        file.Flush(flushToDisk: true);
    }

    private static void Restrict(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        var owner = mode & (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (mode == owner)
        {
            return;
        }

        try
        {
            File.SetUnixFileMode(path, owner);
        }
        catch (UnauthorizedAccessException)
        {
            // Another account owns it: the operator chose that place and its access, and the service can still use it.
        }
    }
}
