using RetinaScreen.Dicom;

namespace RetinaScreen.Ingest.Storage;

/// <summary>The storage SOP classes RetinaScreen grades (compliance/dicom-conformance.md lists the same).</summary>
public static class AcceptedSopClasses
{
    public static readonly IReadOnlySet<string> Fundus = new HashSet<string>(StringComparer.Ordinal)
    {
        DicomUids.OphthalmicPhotography8Bit,
        DicomUids.VlPhotographicImage,
    };
}
