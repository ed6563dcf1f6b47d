using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// The attributes ingest records, read from an arrived Part 10 file. The whole file is parsed — a dataset cut
/// short anywhere, pixel data included, is refused — but values larger than a few kilobytes (the pixel data)
/// are only checked against the file's length (or, deflated, inflated past), never loaded.
/// </summary>
internal sealed record InstanceHeader
{
    private static readonly DicomReadOptions ReadOptions = new()
    {
        DeferValuesLargerThan = 16 * 1024,
        MaxDepth = 16,
        MaxElementCount = 100_000,
    };

    public required string SopClassUid { get; init; }
    public required string SopInstanceUid { get; init; }
    public required string StudyInstanceUid { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public required string TransferSyntaxUid { get; init; }
    public required string PatientId { get; init; }
    public required string IssuerOfPatientId { get; init; }
    public string? PatientName { get; init; }
    public string? PatientBirthDate { get; init; }
    public string? PatientSex { get; init; }
    public string? StudyDate { get; init; }
    public string? AccessionNumber { get; init; }
    public string? StudyDescription { get; init; }
    public string? InstitutionName { get; init; }
    public string? Modality { get; init; }
    public string? Manufacturer { get; init; }
    public string? ManufacturerModelName { get; init; }
    public string? Laterality { get; init; }
    public int? Rows { get; init; }
    public int? Columns { get; init; }
    public bool HasPixelData { get; init; }
    public bool HasEncapsulatedDocument { get; init; }
    /// <summary>What is visibly wrong with the pixel data without decoding it (null when nothing is).</summary>
    private string? PixelDataDamage { get; init; }
    private string? MetaSopClassUid { get; init; }
    private string? MetaSopInstanceUid { get; init; }

    /// <param name="path">The arrived Part 10 file.</param>
    /// <param name="maxInflatedBytes">
    /// The most a deflated data set may inflate to (the largest object accepted); one that inflates further is
    /// refused as unreadable, having cost no more than this much inflation and a few buffers of memory.
    /// </param>
    /// <param name="reason">Why the bytes are not a usable DICOM object, when they are not.</param>
    /// <returns>The header, or null with <paramref name="reason"/> saying why the bytes are not a usable DICOM object.</returns>
    public static InstanceHeader? TryRead(string path, long maxInflatedBytes, out string? reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInflatedBytes, 1);
        try
        {
            reason = null;
            return Read(path, ReadOptions with { MaxInflatedLength = maxInflatedBytes });
        }
        catch (DicomFormatException ex)
        {
            // Malformed structure or an undecodable character set. The message names a tag and an offset,
            // never a value: safe to log and to answer with.
            reason = ex.Message;
            return null;
        }
        catch (EndOfStreamException)
        {
            reason = "The object ends before its last element.";
            return null;
        }
    }

    private static InstanceHeader Read(string path, DicomReadOptions options)
    {
        var file = DicomFile.Open(path, options);
        var dataset = file.Dataset;
        string? Text(DicomTag tag) => dataset.GetString(tag) is { Length: > 0 } value ? value : null;

        return new InstanceHeader
        {
            SopClassUid = Text(DicomTag.SopClassUid) ?? "",
            SopInstanceUid = Text(DicomTag.SopInstanceUid) ?? "",
            StudyInstanceUid = Text(DicomTag.StudyInstanceUid) ?? "",
            SeriesInstanceUid = Text(DicomTag.SeriesInstanceUid) ?? "",
            TransferSyntaxUid = file.TransferSyntaxUid,
            // Patient ID is type 2: present but possibly empty. An empty ID still groups by study.
            PatientId = Text(DicomTag.PatientId) ?? "",
            IssuerOfPatientId = Text(DicomTag.IssuerOfPatientId) ?? "",
            PatientName = Text(DicomTag.PatientName),
            PatientBirthDate = Text(DicomTag.PatientBirthDate),
            PatientSex = Text(DicomTag.PatientSex),
            StudyDate = Text(DicomTag.StudyDate),
            AccessionNumber = Text(DicomTag.AccessionNumber),
            StudyDescription = Text(DicomTag.StudyDescription),
            InstitutionName = Text(DicomTag.InstitutionName),
            Modality = Text(DicomTag.Modality),
            Manufacturer = Text(DicomTag.Manufacturer),
            ManufacturerModelName = Text(DicomTag.ManufacturerModelName),
            Laterality = NormaliseLaterality(Text(DicomTag.ImageLaterality) ?? Text(DicomTag.Laterality)),
            Rows = dataset.GetInt32(DicomTag.Rows),
            Columns = dataset.GetInt32(DicomTag.Columns),
            HasPixelData = dataset.Contains(DicomTag.PixelData),
            HasEncapsulatedDocument = dataset.Contains(DicomTag.EncapsulatedDocument),
            PixelDataDamage = PixelDataIntegrity.FindDamage(dataset, file.TransferSyntaxUid),
            MetaSopClassUid = file.MetaInformation.GetString(DicomTag.MediaStorageSopClassUid),
            MetaSopInstanceUid = file.MetaInformation.GetString(DicomTag.MediaStorageSopInstanceUid),
        };
    }

    /// <returns>Null when consistent, else what is wrong (UIDs and attribute names only, no patient data).</returns>
    public string? Validate(string? declaredSopClassUid, string? declaredSopInstanceUid, string? expectedStudyInstanceUid = null)
    {
        if (SopClassUid.Length == 0 || SopInstanceUid.Length == 0)
        {
            return "SOP Class UID (0008,0016) and SOP Instance UID (0008,0018) are required.";
        }

        // Before anything compares or echoes a UID: a malformed one is named by its attribute, never quoted.
        if (InvalidIdentifierOrLength() is { } malformed)
        {
            return malformed;
        }

        if (declaredSopClassUid is not null && !string.Equals(declaredSopClassUid, SopClassUid, StringComparison.Ordinal))
        {
            return $"The data set's SOP Class UID {SopClassUid} differs from the declared {declaredSopClassUid}.";
        }

        if (declaredSopInstanceUid is not null && !string.Equals(declaredSopInstanceUid, SopInstanceUid, StringComparison.Ordinal))
        {
            return "The data set's SOP Instance UID differs from the one in the request.";
        }

        if ((MetaSopClassUid is not null && MetaSopClassUid != SopClassUid) || (MetaSopInstanceUid is not null && MetaSopInstanceUid != SopInstanceUid))
        {
            return "The file meta information names another SOP class or instance than the data set.";
        }

        if (StudyInstanceUid.Length == 0 || SeriesInstanceUid.Length == 0)
        {
            return "Study Instance UID (0020,000D) and Series Instance UID (0020,000E) are required.";
        }

        // STOW-RS to /studies/{study}: an instance of another study does not belong in this request (PS3.18 10.5).
        if (expectedStudyInstanceUid is not null && !string.Equals(expectedStudyInstanceUid, StudyInstanceUid, StringComparison.Ordinal))
        {
            return "The instance belongs to another study than the one in the request.";
        }

        if (AcceptedSopClasses.IsDocument(SopClassUid))
        {
            return HasEncapsulatedDocument ? null : "An encapsulated document needs Encapsulated Document (0042,0011).";
        }

        if (!HasPixelData || Rows is null or <= 0 || Columns is null or <= 0)
        {
            return "An image needs Pixel Data (7FE0,0010), Rows and Columns.";
        }

        // Cut short, or contradicting Rows, Columns or Samples per Pixel: it would never decode whole, so it is refused
        // now, while the sender can still send it again, rather than found ungradable later.
        return PixelDataDamage;
    }

    /// <summary>Whether the SOP Instance UID may be quoted back to the sender (it is a well-formed UID).</summary>
    public bool HasValidSopInstanceUid => DicomUids.IsValid(SopInstanceUid);

    /// <summary>Whether the SOP Class UID may be quoted back to the sender (it is a well-formed UID).</summary>
    public bool HasValidSopClassUid => DicomUids.IsValid(SopClassUid);

    /// <returns>
    /// What breaks PS3.5 among the UIDs (9.1) and the values ingest records (6.2 lengths), or null. The database columns
    /// are sized by the same limits: a value beyond them would fail the commit, which a sender would retry forever.
    /// </returns>
    private string? InvalidIdentifierOrLength()
    {
        foreach (var (uid, name) in (ReadOnlySpan<(string, string)>)
        [
            (SopClassUid, "SOP Class UID (0008,0016)"),
            (SopInstanceUid, "SOP Instance UID (0008,0018)"),
            (StudyInstanceUid, "Study Instance UID (0020,000D)"),
            (SeriesInstanceUid, "Series Instance UID (0020,000E)"),
            (TransferSyntaxUid, "Transfer Syntax UID (0002,0010)"),
        ])
        {
            // Empty study and series UIDs are reported as missing further on.
            if (uid.Length > 0 && !DicomUids.IsValid(uid))
            {
                return $"{name} is not a valid UID (PS3.5 9.1).";
            }
        }

        foreach (var (value, vr, name) in (ReadOnlySpan<(string?, DicomVR, string)>)
        [
            (PatientId, DicomVR.LO, "Patient ID (0010,0020)"),
            (IssuerOfPatientId, DicomVR.LO, "Issuer of Patient ID (0010,0021)"),
            (PatientName, DicomVR.PN, "Patient's Name (0010,0010)"),
            (PatientBirthDate, DicomVR.DA, "Patient's Birth Date (0010,0030)"),
            (PatientSex, DicomVR.CS, "Patient's Sex (0010,0040)"),
            (StudyDate, DicomVR.DA, "Study Date (0008,0020)"),
            (AccessionNumber, DicomVR.SH, "Accession Number (0008,0050)"),
            (StudyDescription, DicomVR.LO, "Study Description (0008,1030)"),
            (InstitutionName, DicomVR.LO, "Institution Name (0008,0080)"),
            (Modality, DicomVR.CS, "Modality (0008,0060)"),
            (Manufacturer, DicomVR.LO, "Manufacturer (0008,0070)"),
            (ManufacturerModelName, DicomVR.LO, "Model Name (0008,1090)"),
        ])
        {
            if (!DicomValueLengths.Fits(vr, value))
            {
                return $"{name} is too long for its VR ({vr.Code}).";
            }
        }

        return null;
    }

    private static string? NormaliseLaterality(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "R" => "R",
        "L" => "L",
        // "B" (both) and unknown values are not an eye we can attribute a grade to.
        _ => null,
    };
}
