namespace RetinaScreen.Dicom;

/// <summary>Well-known UIDs from PS3.6 Annex A.</summary>
public static class DicomUids
{
    // Transfer syntaxes
    public const string ImplicitVrLittleEndian = "1.2.840.10008.1.2";
    public const string ExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
    public const string DeflatedExplicitVrLittleEndian = "1.2.840.10008.1.2.1.99";
    public const string ExplicitVrBigEndian = "1.2.840.10008.1.2.2";
    public const string JpegBaseline = "1.2.840.10008.1.2.4.50";
    public const string JpegExtended = "1.2.840.10008.1.2.4.51";
    public const string JpegLossless = "1.2.840.10008.1.2.4.57";
    public const string JpegLosslessSv1 = "1.2.840.10008.1.2.4.70";
    public const string JpegLsLossless = "1.2.840.10008.1.2.4.80";
    public const string JpegLsNearLossless = "1.2.840.10008.1.2.4.81";
    public const string Jpeg2000Lossless = "1.2.840.10008.1.2.4.90";
    public const string Jpeg2000 = "1.2.840.10008.1.2.4.91";
    public const string RleLossless = "1.2.840.10008.1.2.5";

    // SOP classes
    public const string Verification = "1.2.840.10008.1.1";
    public const string OphthalmicPhotography8Bit = "1.2.840.10008.5.1.4.1.1.77.1.5.1";
    public const string OphthalmicPhotography16Bit = "1.2.840.10008.5.1.4.1.1.77.1.5.2";
    public const string VlPhotographicImage = "1.2.840.10008.5.1.4.1.1.77.1.4";
    public const string VlWholeSlideMicroscopyImage = "1.2.840.10008.5.1.4.1.1.77.1.6";
    public const string SecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";
    public const string EncapsulatedPdf = "1.2.840.10008.5.1.4.1.1.104.1";

    /// <summary>Longest UID value (PS3.5 9.1: UI is at most 64 characters).</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// Whether <paramref name="uid"/> is a UID as PS3.5 9.1 defines it: at most 64 characters, components of the digits
    /// 0-9 separated by single periods, no empty component, and no leading zero in a component of more than one digit.
    /// A trailing NUL (the padding of UI) must already have been removed.
    /// </summary>
    public static bool IsValid(string? uid)
    {
        if (string.IsNullOrEmpty(uid) || uid.Length > MaxLength)
        {
            return false;
        }

        var componentStart = 0;
        for (var i = 0; i <= uid.Length; i++)
        {
            if (i == uid.Length || uid[i] == '.')
            {
                var length = i - componentStart;
                if (length == 0 || (length > 1 && uid[componentStart] == '0'))
                {
                    return false;
                }

                componentStart = i + 1;
            }
            else if (!char.IsAsciiDigit(uid[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Human-readable name of a known UID, or null.</summary>
    public static string? NameOf(string uid) => uid switch
    {
        ImplicitVrLittleEndian => "Implicit VR Little Endian",
        ExplicitVrLittleEndian => "Explicit VR Little Endian",
        DeflatedExplicitVrLittleEndian => "Deflated Explicit VR Little Endian",
        ExplicitVrBigEndian => "Explicit VR Big Endian",
        JpegBaseline => "JPEG Baseline (Process 1)",
        JpegExtended => "JPEG Extended (Process 2 & 4)",
        JpegLossless => "JPEG Lossless, Non-Hierarchical (Process 14)",
        JpegLosslessSv1 => "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        JpegLsLossless => "JPEG-LS Lossless Image Compression",
        JpegLsNearLossless => "JPEG-LS Lossy (Near-Lossless) Image Compression",
        Jpeg2000Lossless => "JPEG 2000 Image Compression (Lossless Only)",
        Jpeg2000 => "JPEG 2000 Image Compression",
        RleLossless => "RLE Lossless",
        Verification => "Verification SOP Class",
        OphthalmicPhotography8Bit => "Ophthalmic Photography 8 Bit Image Storage",
        OphthalmicPhotography16Bit => "Ophthalmic Photography 16 Bit Image Storage",
        VlPhotographicImage => "VL Photographic Image Storage",
        VlWholeSlideMicroscopyImage => "VL Whole Slide Microscopy Image Storage",
        SecondaryCapture => "Secondary Capture Image Storage",
        EncapsulatedPdf => "Encapsulated PDF Storage",
        _ => null,
    };
}
