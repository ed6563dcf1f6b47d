using System.Globalization;
using System.Text;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.IO;
using RetinaScreen.Dicom.Tests.Support;
using Xunit.Abstractions;

namespace RetinaScreen.Dicom.Tests.Imaging;

/// <summary>
/// Frame 0 (and the last frame of multi-frame images) of every corpus image we decode, against DCMTK's dcmj2pnm
/// rendering of the same frame: RGB pixel for pixel when lossless, grey and native YBR within one level (window LUTs and
/// YCbCr-to-RGB arithmetic round differently), lossy JPEG within codec tolerance: mean absolute difference at most 3
/// (ImageSharp's float IDCT and chroma upsampling against libjpeg's integer IDCT and its 4:1:1 upsampling).
/// </summary>
public sealed class DcmtkPixelAgreementTests(ITestOutputHelper output)
{
    private const double LossyMeanTolerance = 3.0;
    private const int ConvertedTolerance = 1;

    private static readonly HashSet<string> LossySyntaxes = [DicomUids.JpegBaseline, DicomUids.JpegExtended];

    [Fact]
    public void REQ_DCM_04_decoded_frames_match_dcmj2pnm()
    {
        using var temp = new TempFolder();
        var failures = new List<string>();
        var compared = 0;
        foreach (var (name, path) in CorpusAgreementTests.CorpusFiles(temp))
        {
            DicomFile file;
            try
            {
                file = DicomFile.Open(path, new DicomReadOptions { AllowOddLengths = true });
            }
            catch (DicomFormatException)
            {
                continue; // not readable: covered by CorpusAgreementTests
            }

            if (!file.Dataset.Contains(DicomTag.PixelData))
            {
                continue;
            }

            var frames = FrameDecoder.GetFrameCount(file.Dataset);
            foreach (var frame in frames > 1 ? new[] { 0, frames - 1 } : [0])
            {
                var line = CompareFrame(name, path, file, frame, temp, out var failed);
                output.WriteLine(line);
                compared += line.StartsWith("match", StringComparison.Ordinal) ? 1 : 0;
                if (failed)
                {
                    failures.Add(line);
                }
            }
        }

        output.WriteLine($"{compared} frames match DCMTK, {failures.Count} differ");
        Assert.True(compared >= 40, $"only {compared} frames compared");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static string CompareFrame(string name, string path, DicomFile file, int frame, TempFolder temp, out bool failed)
    {
        failed = false;
        RgbFrame ours;
        try
        {
            ours = FrameDecoder.Decode(file, frame);
        }
        catch (DicomImagingException ex)
        {
            return $"not-decoded  {name}#{frame}: {ex.Message}";
        }
        catch (DicomFormatException ex)
        {
            return $"not-decoded  {name}#{frame}: {ex.Message}";
        }

        var grey = file.Dataset.GetInt32(DicomTag.SamplesPerPixel, 1) == 1;
        var pnm = temp.File($"frame-{Guid.NewGuid():N}.pnm");
        var args = new List<string> { "+op", "+F", (frame + 1).ToString(CultureInfo.InvariantCulture) };
        if (grey)
        {
            args.AddRange(file.Dataset.Contains(DicomTag.WindowCenter) && file.Dataset.Contains(DicomTag.WindowWidth) ? ["+Wi", "1"] : ["+Wm"]);
        }

        args.AddRange([path, pnm]);
        var dcmtk = DcmtkTool.Run("dcmj2pnm", [.. args]);
        if (dcmtk.ExitCode != 0 || !File.Exists(pnm))
        {
            return $"dcmtk-no     {name}#{frame}: dcmj2pnm exited {dcmtk.ExitCode} ({dcmtk.StandardError.Split('\n')[0].Trim()})";
        }

        var (width, height, channels, pixels) = ReadPnm(pnm);
        if (width != ours.Width || height != ours.Height)
        {
            failed = true;
            return $"DIFFERENT    {name}#{frame}: DCMTK {width}x{height}, ours {ours.Width}x{ours.Height}";
        }

        long sum = 0;
        var max = 0;
        for (var i = 0; i < width * height * 3; i++)
        {
            var theirs = channels == 1 ? pixels[i / 3] : pixels[i];
            var d = Math.Abs(theirs - ours.Pixels[i]);
            sum += d;
            max = Math.Max(max, d);
        }

        var mean = (double)sum / (width * height * 3);
        var lossy = LossySyntaxes.Contains(file.TransferSyntaxUid);
        var converted = grey || file.Dataset.GetString(DicomTag.PhotometricInterpretation, string.Empty).StartsWith("YBR", StringComparison.Ordinal);
        var ok = lossy ? mean <= LossyMeanTolerance : max <= (converted ? ConvertedTolerance : 0);
        failed = !ok;
        var kind = lossy ? "lossy" : grey ? "grey" : "colour";
        return string.Create(CultureInfo.InvariantCulture, $"{(ok ? "match" : "DIFFERENT"),-12} {name}#{frame}: {kind} {width}x{height}, max {max}, mean {mean:F3}");
    }

    /// <summary>Binary PGM (P5) or PPM (P6) with maxval 255, as dcmj2pnm +op writes them.</summary>
    private static (int Width, int Height, int Channels, byte[] Pixels) ReadPnm(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var position = 0;
        string Token()
        {
            while (position < bytes.Length && (char.IsWhiteSpace((char)bytes[position]) || bytes[position] == '#'))
            {
                if (bytes[position] == '#')
                {
                    while (position < bytes.Length && bytes[position] != '\n')
                    {
                        position++;
                    }
                }
                else
                {
                    position++;
                }
            }

            var start = position;
            while (position < bytes.Length && !char.IsWhiteSpace((char)bytes[position]))
            {
                position++;
            }

            return Encoding.ASCII.GetString(bytes, start, position - start);
        }

        var magic = Token();
        var width = int.Parse(Token(), CultureInfo.InvariantCulture);
        var height = int.Parse(Token(), CultureInfo.InvariantCulture);
        Assert.Equal("255", Token());
        position++;
        var channels = magic == "P6" ? 3 : 1;
        Assert.True(magic is "P5" or "P6", $"unexpected PNM type {magic}");
        return (width, height, channels, bytes.AsSpan(position, width * height * channels).ToArray());
    }
}
