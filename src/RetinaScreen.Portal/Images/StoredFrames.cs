using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Portal.Images;

/// <summary>
/// A stored frame as a browser can show it: the encapsulated JPEG as it is where a browser decodes it to the same
/// pixels (8-bit JPEG baseline or extended, colour in YCbCr or grey), otherwise decoded and encoded again.
/// </summary>
internal static class StoredFrames
{
    /// <summary>Quality of the JPEG encoded from pixels that were not stored as a browser-readable JPEG.</summary>
    public const int EncodeQuality = 92;

    /// <summary>
    /// True when frame bytes can go to a browser unchanged. 12-bit JPEG is not shown by browsers, and a JPEG of RGB
    /// components carries no colour-transform marker that browsers would honour (they would read it as YCbCr).
    /// </summary>
    public static bool IsBrowserJpeg(DicomFile file) =>
        file.TransferSyntaxUid is DicomUids.JpegBaseline or DicomUids.JpegExtended
        && file.Dataset.GetInt32(DicomTag.BitsStored, 8) == 8
        && file.Dataset.GetString(DicomTag.PhotometricInterpretation, string.Empty).Trim() is "YBR_FULL_422" or "YBR_FULL" or "MONOCHROME2"
        && file.Dataset.Find(DicomTag.PixelData) is DicomFragmentSequence;

    /// <summary>The stored JPEG bytes of <paramref name="frame"/>; only when <see cref="IsBrowserJpeg"/>.</summary>
    public static byte[] StoredJpeg(DicomFile file, int frame) =>
        FrameDecoder.GetEncapsulatedFrame((DicomFragmentSequence)file.Dataset.Find(DicomTag.PixelData)!, frame, FrameDecoder.GetFrameCount(file.Dataset));

    /// <summary>Frame <paramref name="frame"/> as JPEG: the stored bytes where possible, else encoded from its pixels.</summary>
    public static byte[] Jpeg(DicomFile file, int frame) =>
        IsBrowserJpeg(file) ? StoredJpeg(file, frame) : JpegFrameEncoder.Encode(FrameDecoder.Decode(file, frame), EncodeQuality);
}
