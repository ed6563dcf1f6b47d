using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;

namespace RetinaScreen.Dicom.Fuzz;

/// <summary>
/// The "dicom" target (<see cref="FuzzTargets"/>), what a hostile file meets in production: the Part 10 reader, the JSON model of everything read, and frame 0 decoded (reduced, as the grader asks, and at full size).
/// The documented failures (<see cref="DicomFormatException"/>, <see cref="DicomImagingException"/>) are the expected
/// answers; any other exception, a hang or a runaway allocation is a finding.
/// </summary>
public static class FuzzTarget
{
    private static readonly DicomReadOptions Options = new() { MaxValueLength = 64 * 1024 * 1024 };

    public static void Run(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            var file = DicomFile.Open(input, Options);
            DicomJsonWriter.ToJson(file.Dataset);
            if (file.Dataset.Contains(DicomTag.PixelData))
            {
                DecodeReduced(file);
                FrameDecoder.Decode(file, 0);
            }
        }
        catch (DicomFormatException)
        {
        }
        catch (DicomImagingException)
        {
        }
    }

    /// <summary>The grader's reduced-size path too (ADR 0005, native libjpeg-turbo); a small minimum side lets the small
    /// seed images reach it. Its documented failures are expected like the full-size path's.</summary>
    private static void DecodeReduced(DicomFile file)
    {
        try
        {
            FrameDecoder.Decode(file, 0, minimumSide: 8);
        }
        catch (DicomImagingException)
        {
        }
    }
}
