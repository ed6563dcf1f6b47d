namespace RetinaScreen.Dicom.Imaging;

/// <summary>Pixel data that cannot be turned into an <see cref="RgbFrame"/>: an unsupported transfer syntax or photometric interpretation, or data that contradicts its header.</summary>
public sealed class DicomImagingException : Exception
{
    /// <summary>The start of every <see cref="ImageDataDamaged"/> message, so that whoever shows the refusal names it the same way.</summary>
    public const string DamagedPrefix = "image data damaged: ";

    public DicomImagingException()
    {
    }

    public DicomImagingException(string message)
        : base(message)
    {
    }

    public DicomImagingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// True when the pixel data itself is broken (cut short, ending early, or contradicting Rows, Columns or Samples per
    /// Pixel), as opposed to an encoding this toolkit does not decode. A damaged image will never decode whole; what a
    /// decoder would make of it (missing rows filled with grey) must not be graded.
    /// </summary>
    public bool ImageDataDamaged { get; private init; }

    /// <summary>A refusal of damaged pixel data; <paramref name="detail"/> names what is wrong (sizes and markers, never values).</summary>
    public static DicomImagingException Damaged(string detail) => new(DamagedPrefix + detail) { ImageDataDamaged = true };
}
