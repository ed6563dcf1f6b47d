namespace RetinaScreen.Integration.Tests.Infrastructure;

internal static class RepositoryPaths
{
    /// <summary>The folder holding RetinaScreen.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Build configuration the tests were built with (the host is launched from the same one).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string HostDll => Path.Combine(Root, "src", "RetinaScreen.Host", "bin", Configuration, "net10.0", "RetinaScreen.Host.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RetinaScreen.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("RetinaScreen.sln not found above " + AppContext.BaseDirectory);
    }
}
