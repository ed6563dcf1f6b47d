using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// Why an arrival may not enter the record as sent, and which stored rows it contradicts. Decided on the rows the
/// recording transaction loads anyway; the texts name attributes, never values, so they fit logs, audit records and a
/// DICOM Error Comment (at most 64 characters).
/// </summary>
/// <param name="ErrorComment">The answer to the sender (DIMSE Error Comment, queue rejection reason).</param>
/// <param name="Detail">The administrator's description in the quarantine record.</param>
internal sealed record IdentityConflict(
    QuarantineReason Reason,
    string ErrorComment,
    string Detail,
    Guid? PatientId = null,
    Guid? StudyId = null,
    Guid? InstanceId = null)
{
    public const string OtherContentComment = "SOP Instance UID already stored with other content";
    public const string StudyOfAnotherPatientComment = "Study Instance UID is stored under another patient";
    public const string SeriesOfAnotherStudyComment = "Series Instance UID is stored under another study";

    public static IdentityConflict OtherContent(Guid storedInstanceId) =>
        new(QuarantineReason.SopInstanceConflict, OtherContentComment, OtherContentComment, InstanceId: storedInstanceId);

    /// <summary>
    /// The study must belong to the patient the object names (an empty Patient ID included: an unidentified object is
    /// not added to an identified patient's study), the series to the study, and the demographics must not contradict
    /// the stored patient's (see <see cref="PatientDemographics"/>).
    /// </summary>
    public static IdentityConflict? Find(InstanceHeader header, Patient? patient, Study? study, Series? series)
    {
        if (study is not null && study.PatientId != patient?.Id)
        {
            return new(QuarantineReason.StudyOfAnotherPatient, StudyOfAnotherPatientComment, StudyOfAnotherPatientComment,
                PatientId: study.PatientId, StudyId: study.Id);
        }

        if (series is not null && series.StudyId != study?.Id)
        {
            return new(QuarantineReason.SeriesOfAnotherStudy, SeriesOfAnotherStudyComment, SeriesOfAnotherStudyComment,
                StudyId: series.StudyId);
        }

        if (patient is null || patient.PatientId.Length == 0)
        {
            return null;
        }

        var conflicts = PatientDemographics.Conflicts(patient.Name, patient.BirthDate, patient.Sex, header.PatientName, header.PatientBirthDate, header.PatientSex);
        if (conflicts.Count == 0)
        {
            return null;
        }

        var shortNames = string.Join(", ", conflicts.Select(c => c switch
        {
            PatientDemographics.NameAttribute => "name",
            PatientDemographics.BirthDateAttribute => "birth date",
            _ => "sex",
        }));
        return new(QuarantineReason.PatientDemographicsConflict,
            $"Conflicting patient {shortNames} for this Patient ID",
            $"{string.Join(", ", conflicts)} differ from the stored patient with this Patient ID and issuer",
            PatientId: patient.Id, StudyId: study?.Id);
    }
}
