using RetinaScreen.Dicom;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// The storage SOP classes RetinaScreen accepts (compliance/dicom-conformance-statement.md lists the same).
/// Only <see cref="Graded"/> instances are published for grading; the others are stored and recorded with their
/// study so that a reviewer sees them, but no model looks at them.
/// </summary>
public static class AcceptedSopClasses
{
    /// <summary>What the inference workers look at: colour fundus photographs (graded for DR) and whole slides (analysed
    /// for metastases, never graded as photographs).</summary>
    public static readonly IReadOnlySet<string> Graded = new HashSet<string>(StringComparer.Ordinal)
    {
        DicomUids.OphthalmicPhotography8Bit,
        DicomUids.VlPhotographicImage,
        DicomUids.VlWholeSlideMicroscopyImage,
    };

    /// <summary>Everything stored: the graded classes and those kept for the record.</summary>
    public static readonly IReadOnlySet<string> Stored = new HashSet<string>(Graded, StringComparer.Ordinal)
    {
        DicomUids.OphthalmicPhotography16Bit,
        DicomUids.SecondaryCapture,
        DicomUids.EncapsulatedPdf,
    };

    /// <summary>Classes whose instances carry a document rather than pixel data.</summary>
    public static bool IsDocument(string sopClassUid) => FamilyOf(sopClassUid) == SopClassFamily.Document;

    /// <summary>
    /// The family whose size limit and handling a class shares. Anything not named as a slide or a document, an
    /// unknown class included, is a photograph: the smallest images get the tightest bound.
    /// </summary>
    public static SopClassFamily FamilyOf(string? sopClassUid) => sopClassUid switch
    {
        DicomUids.VlWholeSlideMicroscopyImage => SopClassFamily.Slide,
        DicomUids.EncapsulatedPdf => SopClassFamily.Document,
        _ => SopClassFamily.Photograph,
    };
}

/// <summary>Kinds of object that differ by orders of magnitude in size.</summary>
public enum SopClassFamily
{
    /// <summary>Fundus and other photographs, secondary captures: megabytes.</summary>
    Photograph,

    /// <summary>Whole-slide images: up to gigabytes.</summary>
    Slide,

    /// <summary>Encapsulated documents (PDF reports).</summary>
    Document,
}
