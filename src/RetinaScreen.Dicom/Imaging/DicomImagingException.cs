namespace RetinaScreen.Dicom.Imaging;

/// <summary>Pixel data that cannot be turned into an <see cref="RgbFrame"/>: an unsupported transfer syntax or photometric interpretation, or data that contradicts its header.</summary>
public sealed class DicomImagingException : Exception
{
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
}
