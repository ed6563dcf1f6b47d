using System.Diagnostics;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Models;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference;

/// <summary>
/// What the screening consumer calls: decode a stored photograph (DICOM Part 10), check its gradability, and grade
/// it when gradable.
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

    /// <summary>
    /// Decodes the first frame of a stored Part 10 file. Only DICOM is graded: the pixel decoder checks the
    /// compressed frame against the header's Rows and Columns, so a hostile file cannot ask for unbounded memory.
    /// </summary>
    public static RgbFrame Decode(string path) => FrameDecoder.Decode(DicomFile.Open(path, ReadOptions), 0);

    private static readonly DicomReadOptions ReadOptions = new() { DeferValuesLargerThan = 64 * 1024, MaxDepth = 16 };
}
