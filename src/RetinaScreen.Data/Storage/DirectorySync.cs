using System.Runtime.InteropServices;
using System.Text;

namespace RetinaScreen.Data.Storage;

/// <summary>
/// fsync(2) of a folder, which .NET does not offer (it refuses to open a folder as a file): after a rename, the new
/// name is only on disk once the folder holding it is flushed (POSIX; ext4 and XFS behave so).
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;

    public static void Flush(string folder)
    {
        // NTFS journals its metadata, and a Windows folder can only be flushed through backup semantics.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var descriptor = Open(Encoding.UTF8.GetBytes(folder + "\0"), ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Could not open a store folder to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"Flushing a store folder failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int descriptor);
}
