namespace RetinaScreen.Data.Screening;

/// <summary>A model as loaded by an inference worker: name, version and the SHA-256 of its file.</summary>
public sealed class ModelVersion
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public required string Version { get; set; }
    public required string Sha256 { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
}
