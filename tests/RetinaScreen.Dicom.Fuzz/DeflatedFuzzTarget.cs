using System.IO.Compression;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;

namespace RetinaScreen.Dicom.Fuzz;

/// <summary>
/// The inflation path as ingest, the grader and the portal meet it: the input is a data set in explicit VR little
/// endian, deflated here behind file meta information (so mutations reach the parser rather than die in the
/// decompressor), written to a file and opened by path with small values deferred and a small inflation limit. Then
/// every value is read (the JSON model re-inflates the deferred ones) and frame 0 is decoded from the deferred pixel
/// data. Expected failures are <see cref="DicomFormatException"/> and <see cref="DicomImagingException"/>.
/// </summary>
public static class DeflatedFuzzTarget
{
    /// <summary>The seeds' pixel data (a few hundred bytes) is deferred; inputs over 256 KiB meet the limit.</summary>
    private static readonly DicomReadOptions Options = new()
    {
        DeferValuesLargerThan = 64,
        MaxInflatedLength = 256 * 1024,
        MaxValueLength = 64 * 1024 * 1024,
        MaxDepth = 16,
    };

    private static readonly string WorkFile = Path.Combine(Path.GetTempPath(), $"retinascreen-fuzz-deflated-{Environment.ProcessId}.dcm");

    public static void Run(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using (var output = new FileStream(WorkFile, FileMode.Create, FileAccess.Write, FileShare.Read))
        {
            FileMetaInformationWriter.Write(output, new FileMetaInformation(DicomUids.SecondaryCapture, "1.2.3.4", DicomUids.DeflatedExplicitVrLittleEndian));
            using var deflate = new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true);
            input.CopyTo(deflate);
        }

        try
        {
            var file = DicomFile.Open(WorkFile, Options);
            DicomJsonWriter.ToJson(file.Dataset);
            if (file.Dataset.Contains(DicomTag.PixelData))
            {
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
}
