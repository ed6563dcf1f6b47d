using RetinaScreen.Data.Screening;

namespace RetinaScreen.Data.Imaging;

public sealed class Study
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string StudyInstanceUid { get; set; }
    public Guid PatientId { get; set; }
    public Patient? Patient { get; set; }
    /// <summary>DICOM Study Date (0008,0020), YYYYMMDD as sent.</summary>
    public string? StudyDate { get; set; }
    public string? AccessionNumber { get; set; }
    public string? Description { get; set; }
    /// <summary>Name of the sending site or institution (0008,0080), for the worklist filter.</summary>
    public string? InstitutionName { get; set; }
    public DateTimeOffset FirstReceivedAt { get; set; }
    public List<Series> Series { get; set; } = [];
    public ScreeningCase? Screening { get; set; }
}
