using System.Diagnostics;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Models;
using RetinaScreen.Inference.Quality;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Inference;

/// <summary>
/// What the screening consumer calls: decode a stored photograph (DICOM Part 10, or a plain JPEG/PNG), check its
/// gradability, and grade it when gradable.
/// </summary>
public sealed class FundusPhotographGrader(GradabilityAssessor assessor, DrGrader grader)
{
    public ModelIdentity Model { get; } = new(grader.Card.Name, grader.Card.Version, grader.Model.Sha256);

    public GradingOutcome Grade(string path) => Grade(Decode(path));

    public GradingOutcome Grade(RgbFrame frame)
    {
        var started = Stopwatch.GetTimestamp();
        var quality = assessor.Assess(frame);
        var assessed = Stopwatch.GetElapsedTime(started);
        var drThreshold = grader.Card.OperatingPoints.ReferableDr.Threshold;
        var dmeThreshold = grader.Card.OperatingPoints.ReferableDme.Threshold;
        if (!quality.Gradable)
        {
            return new GradingOutcome(false, quality.Reason, 0, [], 0, 0, drThreshold, dmeThreshold, false, false, assessed, TimeSpan.Zero, quality.Features);
        }

        var g = grader.Grade(frame);
        return new GradingOutcome(true, null, g.Grade, g.GradeProbabilities, g.ReferableDrScore, g.ReferableDmeScore, g.DrThreshold, g.DmeThreshold,
            g.ReferableDr, g.ReferableDme, assessed + g.Preprocess, g.Inference, quality.Features);
    }

    /// <summary>DICOM when the file has the Part 10 preamble ("DICM" at byte 128), otherwise any image ImageSharp reads.</summary>
    public static RgbFrame Decode(string path)
    {
        if (IsPart10(path))
        {
            return FrameDecoder.Decode(DicomFile.Open(path));
        }

        using var image = Image.Load<Rgb24>(path);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbFrame(image.Width, image.Height, pixels);
    }

    private static bool IsPart10(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[132];
        return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length
            && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
    }
}
