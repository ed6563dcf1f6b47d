namespace RetinaScreen.Hosting;

/// <summary>The "RetinaScreen" configuration section shared by every process.</summary>
public sealed class RetinaScreenOptions
{
    public const string SectionName = "RetinaScreen";

    /// <summary>Folder for the SQLite database and the object store in the embedded mode.</summary>
    public string DataPath { get; set; } = "./data";
}
