namespace RetinaScreen.Data.Imaging;

/// <summary>A patient as the sending site identifies them (Patient ID within its issuer).</summary>
public sealed class Patient
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>DICOM Patient ID (0010,0020).</summary>
    public required string PatientId { get; set; }
    /// <summary>DICOM Issuer of Patient ID (0010,0021); empty when the sender gave none.</summary>
    public string IssuerOfPatientId { get; set; } = "";
    /// <summary>DICOM Patient's Name (0010,0010) in its DICOM PN form.</summary>
    public string? Name { get; set; }
    /// <summary>DICOM Patient's Birth Date (0010,0030), YYYYMMDD as sent.</summary>
    public string? BirthDate { get; set; }
    public string? Sex { get; set; }
    public List<Study> Studies { get; set; } = [];
}
