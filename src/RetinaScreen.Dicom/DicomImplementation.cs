namespace RetinaScreen.Dicom;

/// <summary>Identifies this toolkit in file meta information and association negotiation (PS3.7 D.3.3.2).</summary>
public static class DicomImplementation
{
    /// <summary>2.25 root with the decimal form of UUID 7ed9a18a-5451-4530-a808-8d1b1985eca0, fixed for this implementation.</summary>
    public const string ClassUid = "2.25.168612732314729063025908537740614823072";

    public const string VersionName = "RETINASCREEN_01";
}
