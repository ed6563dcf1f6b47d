using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Cli.Synthesis;

/// <summary>Who was photographed, when and with what: the DICOM context of one synthetic visit.</summary>
public sealed record SyntheticVisit(
    string PatientId,
    string PatientName,
    string BirthDate,
    string Sex,
    string StudyInstanceUid,
    string SeriesInstanceUid,
    DateTime AcquiredAt,
    string InstitutionName,
    string Manufacturer,
    string ModelName,
    string DeviceSerialNumber)
{
    private static readonly string[] FamilyNames = ["Perera", "Somchai", "Raman", "Nguyen", "Okafor", "Silva", "Kowalski", "Haddad", "Tanaka", "Moreau"];
    private static readonly string[] GivenNames = ["Anil", "Malee", "Priya", "Minh", "Chidi", "Ana", "Jan", "Layla", "Yuki", "Louis"];
    private static readonly (string Manufacturer, string Model)[] Cameras =
    [
        ("Synthetic Optics", "SF-450 Non-Mydriatic"),
        ("Synthetic Optics", "SF-200 Handheld"),
        ("Imaginary Imaging", "Retina Pro 3"),
    ];
    private static readonly string[] Clinics = ["Community Eye Clinic North", "District Hospital Screening Unit", "Mobile Screening Van 2"];

    /// <summary>
    /// A UID that is the same for the same seed and purpose (so a synthetic set made twice is the same set, and
    /// re-sending it exercises idempotency): a name-based UUID (version 5 layout) under the 2.25 root, PS3.5 B.2.
    /// </summary>
    public static string Uid(int seed, string purpose) =>
        UidFromName($"retinascreen-synth/{purpose}/{seed.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The same construction for a UID derived from another UID (e.g. a visit's synchronization frame).</summary>
    public static string UidFromName(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        var uuid = hash.AsSpan(0, 16).ToArray();
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x50);
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);
        return "2.25." + new BigInteger(uuid, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A plausible, entirely fictional visit, deterministic for a seed.</summary>
    public static SyntheticVisit Create(int seed)
    {
        var rng = new Random(seed);
        var camera = Cameras[rng.Next(Cameras.Length)];
        _ = rng.Next(0, 365 * 55);
        var acquired = new DateTime(2026, 1, 5, 8, 0, 0).AddDays(rng.Next(0, 300)).AddMinutes(rng.Next(0, 9 * 60));
        var patientNumber = rng.Next(1_000_000, 9_999_999);
        _ = (rng.Next(FamilyNames.Length), rng.Next(GivenNames.Length), rng.Next(2));
        // The person follows from the Patient ID, as in a real registry: two visits that draw the same ID are the same
        // patient, so a large synthetic set never sends one ID with two names (which ingest would quarantine).
        var person = new Random(patientNumber);
        var birth = new DateTime(1940, 1, 1).AddDays(person.Next(0, 365 * 55));
        return new SyntheticVisit(
            PatientId: "SYN" + patientNumber.ToString(CultureInfo.InvariantCulture),
            PatientName: $"{FamilyNames[person.Next(FamilyNames.Length)]}^{GivenNames[person.Next(GivenNames.Length)]}",
            BirthDate: birth.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            Sex: person.Next(2) == 0 ? "F" : "M",
            StudyInstanceUid: Uid(seed, "study"),
            SeriesInstanceUid: Uid(seed, "series"),
            AcquiredAt: acquired,
            InstitutionName: Clinics[rng.Next(Clinics.Length)],
            Manufacturer: camera.Manufacturer,
            ModelName: camera.Model,
            DeviceSerialNumber: "SN" + rng.Next(10_000, 99_999).ToString(CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Writes a synthetic photograph as an Ophthalmic Photography 8 Bit Image (PS3.3 A.39) with JPEG baseline pixel
/// data, carrying the type 1 attributes DCMTK's and dciodvfy's checks expect.
/// </summary>
public static class OphthalmicPhotographWriter
{
    public static DicomFile Create(SyntheticFundus image, SyntheticVisit visit, int instanceNumber, string? sopInstanceUid = null)
    {
        var d = new DicomDataset();
        var acquired = visit.AcquiredAt;
        var date = acquired.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = acquired.ToString("HHmmss", CultureInfo.InvariantCulture);

        d.Set(DicomTag.SpecificCharacterSet, "ISO_IR 192");
        d.Set(DicomTag.ImageType, "ORIGINAL", "PRIMARY");
        d.Set(DicomTag.SopClassUid, DicomUids.OphthalmicPhotography8Bit);
        d.Set(DicomTag.SopInstanceUid, sopInstanceUid ?? DicomUidGenerator.NewUid());
        d.Set(DicomTag.StudyDate, date);
        d.Set(DicomTag.ContentDate, date);
        d.Set(DicomTag.StudyTime, time);
        d.Set(DicomTag.ContentTime, time);
        d.Set(DicomTag.AcquisitionDateTime, acquired.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
        d.Set(DicomTag.AccessionNumber, "A" + visit.PatientId[3..]);
        d.Set(DicomTag.Modality, "OP");
        d.Set(DicomTag.Manufacturer, visit.Manufacturer);
        d.Set(DicomTag.InstitutionName, visit.InstitutionName);
        d.Set(DicomTag.ReferringPhysicianName, "");
        d.Set(DicomTag.ManufacturerModelName, visit.ModelName);
        d.Set(DicomTag.AnatomicRegionSequence, Code("81745001", "SCT", "Eye"));
        d.Set(DicomTag.PatientName, visit.PatientName);
        d.Set(DicomTag.PatientId, visit.PatientId);
        d.Set(DicomTag.IssuerOfPatientId, "SYNTHETIC");
        d.Set(DicomTag.PatientBirthDate, visit.BirthDate);
        d.Set(DicomTag.PatientSex, visit.Sex);
        d.Set(DicomTag.DeviceSerialNumber, visit.DeviceSerialNumber);
        d.Set(DicomTag.SoftwareVersions, "retinascreen-synth");
        d.Set(DicomTag.StudyInstanceUid, visit.StudyInstanceUid);
        d.Set(DicomTag.SeriesInstanceUid, visit.SeriesInstanceUid);
        d.Set(DicomTag.StudyId, "1");
        d.Set(DicomTag.SeriesNumber, 1);
        d.Set(DicomTag.InstanceNumber, instanceNumber);
        d.Set(DicomTag.PatientOrientation, "");
        d.Set(DicomTag.ImageLaterality, image.Truth.Laterality);
        d.Set(DicomTag.BurnedInAnnotation, "NO");
        d.Set(DicomTag.AcquisitionDeviceTypeCodeSequence, Code("409898007", "SCT", "Fundus Camera"));
        d.Set(DicomTag.PatientEyeMovementCommanded, "NO");
        d.Set(DicomTag.HorizontalFieldOfView, 45.0);
        d.Set(DicomTag.PupilDilated, "NO");
        d.Set(DicomTag.RefractiveStateSequence, Array.Empty<DicomDataset>());
        d.Set(DicomTag.MydriaticAgentCodeSequence, Array.Empty<DicomDataset>());
        // Type 2 (empty allowed) attributes dciodvfy requires: the Ophthalmic Photographic Parameters module and
        // the Ophthalmic Acquisition Parameters macro (PS3.3 C.8.17.2, C.8.17.4).
        d.Set(DicomTag.DetectorType, DicomVR.CS, ReadOnlyMemory<byte>.Empty);
        d.Set(DicomTag.EmmetropicMagnification, DicomVR.FL, ReadOnlyMemory<byte>.Empty);
        d.Set(DicomTag.IntraOcularPressure, DicomVR.FL, ReadOnlyMemory<byte>.Empty);
        d.Set(DicomTag.IlluminationTypeCodeSequence, Array.Empty<DicomDataset>());
        d.Set(DicomTag.LightPathFilterTypeStackCodeSequence, Array.Empty<DicomDataset>());
        d.Set(DicomTag.ImagePathFilterTypeStackCodeSequence, Array.Empty<DicomDataset>());
        d.Set(DicomTag.LensesCodeSequence, Array.Empty<DicomDataset>());
        // The OP IOD's Multi-frame module (Frame Increment Pointer, here to Frame Time) and Synchronization module.
        d.Set(DicomTag.FrameIncrementPointer, DicomVR.AT, new byte[] { 0x18, 0x00, 0x63, 0x10 });
        d.Set(DicomTag.FrameTime, 0.0);
        // One synchronization frame of reference per visit, derived like its other UIDs so synth stays deterministic.
        d.Set(DicomTag.SynchronizationFrameOfReferenceUid, SyntheticVisit.UidFromName("retinascreen-synth/sync/" + visit.StudyInstanceUid));
        d.Set(DicomTag.SynchronizationTrigger, "NO TRIGGER");
        d.Set(DicomTag.AcquisitionTimeSynchronized, "N");

        var transferSyntax = PixelDataWriter.SetJpegBaseline(d, [image.Frame], quality: 92);
        return new DicomFile(d, transferSyntax);
    }

    private static DicomDataset Code(string value, string scheme, string meaning) =>
        new DicomDataset()
            .Set(DicomTag.CodeValue, value)
            .Set(DicomTag.CodingSchemeDesignator, scheme)
            .Set(DicomTag.CodeMeaning, meaning);
}
