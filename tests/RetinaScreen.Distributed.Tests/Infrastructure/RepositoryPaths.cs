namespace RetinaScreen.Distributed.Tests.Infrastructure;

internal static class RepositoryPaths
{
    /// <summary>The folder holding RetinaScreen.sln, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Build configuration the tests were built with (the role processes are launched from the same one).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string RoleDll(string project) => Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", project + ".dll");

    public static string CliDll => Path.Combine(Root, "src", "RetinaScreen.Cli", "bin", Configuration, "net10.0", "retinascreen.dll");

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
