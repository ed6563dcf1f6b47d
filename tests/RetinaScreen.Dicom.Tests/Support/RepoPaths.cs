namespace RetinaScreen.Dicom.Tests.Support;

/// <summary>Files of the source tree the tests read in place (generated tables, fuzz findings).</summary>
internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "RetinaScreen.sln")))
            {
                directory = directory.Parent;
            }

            Assert.True(directory is not null, $"no RetinaScreen.sln above {AppContext.BaseDirectory}");
            return directory.FullName;
        }
    }

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
