namespace RetinaScreen.Data.Imaging;

public sealed class Series
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string SeriesInstanceUid { get; set; }
    public Guid StudyId { get; set; }
    public Study? Study { get; set; }
    public string? Modality { get; set; }
    public string? Manufacturer { get; set; }
    public string? ManufacturerModelName { get; set; }
    public List<Instance> Instances { get; set; } = [];
}
