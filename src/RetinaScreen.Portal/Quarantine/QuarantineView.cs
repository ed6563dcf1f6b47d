using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;

namespace RetinaScreen.Portal.Quarantine;

/// <summary>
/// A quarantined object as an administrator decides on it: what it says (patient, UIDs, sender, hash) beside the stored
/// patient, study or instance it contradicts, and which releases apply.
/// </summary>
public sealed record QuarantineItem(
    Guid Id,
    QuarantineStatus Status,
    QuarantineReason Reason,
    string Detail,
    DateTimeOffset ReceivedAt,
    string Source,
    string? Device,
    string? SourceAddress,
    string SopInstanceUid,
    string SopClassUid,
    string StudyInstanceUid,
    string SeriesInstanceUid,
    string Sha256,
    long SizeBytes,
    QuarantinePatient Sent,
    QuarantinePatient? StoredPatient,
    string? StoredStudyInstanceUid,
    string? StoredInstanceSha256,
    QuarantineRelease[] AllowedReleases,
    QuarantineRelease? Release,
    string? ResolvedBy,
    DateTimeOffset? ResolvedAt,
    string? ReleaseError,
    Guid? ReleasedInstanceId);

public sealed record QuarantinePatient(string PatientId, string IssuerOfPatientId, string? Name, string? BirthDate, string? Sex);

internal static class QuarantineView
{
    /// <summary>What a release can do for each reason: an instance conflict has no stored identity to take.</summary>
    public static QuarantineRelease[] AllowedReleases(QuarantineReason reason) => reason switch
    {
        QuarantineReason.PatientDemographicsConflict => [QuarantineRelease.StoredIdentity, QuarantineRelease.SentDemographics],
        QuarantineReason.StudyOfAnotherPatient or QuarantineReason.SeriesOfAnotherStudy => [QuarantineRelease.StoredIdentity],
        _ => [],
    };

    /// <summary>Items with the stored rows they conflict with, in three queries whatever their number.</summary>
    public static async Task<List<QuarantineItem>> ToItemsAsync(RetinaScreenDbContext db, IReadOnlyList<QuarantinedInstance> records, CancellationToken cancellationToken)
    {
        var patientIds = records.Where(r => r.ConflictingPatientId is not null).Select(r => r.ConflictingPatientId!.Value).Distinct().ToList();
        var studyIds = records.Where(r => r.ConflictingStudyId is not null).Select(r => r.ConflictingStudyId!.Value).Distinct().ToList();
        var instanceIds = records.Where(r => r.ConflictingInstanceId is not null).Select(r => r.ConflictingInstanceId!.Value).Distinct().ToList();

        var patients = patientIds.Count == 0 ? [] : await db.Patients.AsNoTracking().Where(p => patientIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, cancellationToken);
        var studies = studyIds.Count == 0 ? [] : await db.Studies.AsNoTracking().Where(s => studyIds.Contains(s.Id))
            .ToDictionaryAsync(s => s.Id, s => s.StudyInstanceUid, cancellationToken);
        var instances = instanceIds.Count == 0 ? [] : await db.Instances.AsNoTracking().Where(i => instanceIds.Contains(i.Id))
            .ToDictionaryAsync(i => i.Id, i => i.Sha256, cancellationToken);

        return records.Select(r => new QuarantineItem(
            r.Id, r.Status, r.Reason, r.Detail, r.ReceivedAt, r.Source, r.Device, r.SourceAddress,
            r.SopInstanceUid, r.SopClassUid, r.StudyInstanceUid, r.SeriesInstanceUid, r.Sha256, r.SizeBytes,
            new QuarantinePatient(r.PatientId, r.IssuerOfPatientId, r.PatientName, r.PatientBirthDate, r.PatientSex),
            r.ConflictingPatientId is { } patientId && patients.TryGetValue(patientId, out var patient)
                ? new QuarantinePatient(patient.PatientId, patient.IssuerOfPatientId, patient.Name, patient.BirthDate, patient.Sex)
                : null,
            r.ConflictingStudyId is { } studyId ? studies.GetValueOrDefault(studyId) : null,
            r.ConflictingInstanceId is { } instanceId ? instances.GetValueOrDefault(instanceId) : null,
            r.Status == QuarantineStatus.Open ? AllowedReleases(r.Reason) : [],
            r.Release, r.ResolvedBy, r.ResolvedAt, r.ReleaseError, r.ReleasedInstanceId)).ToList();
    }
}
