using System.Diagnostics;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Heatmaps;
using RetinaScreen.Inference.Models;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference;

/// <summary>
/// What the screening consumer calls: decode a stored photograph (DICOM Part 10), check its gradability, and grade
/// it when gradable, through the dynamic batching engine, with a heatmap overlay; optionally the shadow model too.
/// </summary>
public sealed class FundusPhotographGrader(GradabilityAssessor assessor, DrBatchingEngine engine, ShadowGrader shadow)
{
    public FundusPhotographGrader(GradabilityAssessor assessor, DrBatchingEngine engine)
        : this(assessor, engine, new ShadowGrader(null))
    {
    }

    private readonly DrGrader _grader = engine.Grader;

    public ModelIdentity Model { get; } = new(engine.Grader.Card.Name, engine.Grader.Card.Version, engine.Grader.Model.Sha256);

    /// <summary>The candidate model in shadow, null when none is configured.</summary>
    public ModelIdentity? ShadowModel => shadow.Model;

    public GradingOutcome Grade(string path)
    {
        var (frame, fullSize) = DecodeStored(path);
        return Grade(frame, fullSize);
    }

    /// <summary>Grades one photograph directly (no batching): tests and tools.</summary>
    public GradingOutcome Grade(RgbFrame frame) => Grade(frame, (frame.Width, frame.Height));

    private GradingOutcome Grade(RgbFrame frame, (int Width, int Height) fullSize)
    {
        var (quality, assessed) = Assess(frame);
        return quality.Gradable ? Outcome(frame, fullSize, quality, assessed, _grader.Grade(frame)) : Ungradable(quality, assessed, _grader);
    }

    /// <summary>Decodes, checks and grades a stored photograph, sharing model runs with concurrent callers; grades it
    /// with the shadow model as well when one is configured.</summary>
    /// <remarks>A photograph that cannot be decoded whole (damaged, or in an encoding the toolkit does not decode) is
    /// answered ungradable with the decoder's reason, by the shadow model too: it will never decode, so retrying it
    /// would only delay the answer, and what a decoder would make of it must not be graded.</remarks>
    public async Task<PhotographGrading> GradeAsync(string path, CancellationToken cancellationToken)
    {
        RgbFrame frame;
        (int Width, int Height) fullSize;
        try
        {
            (frame, fullSize) = DecodeStored(path);
        }
        catch (Exception ex) when (ex is DicomImagingException or DicomFormatException)
        {
            var (cause, reason) = ex is DicomImagingException { ImageDataDamaged: true }
                ? (PhotographGrading.ImageDamaged, ex.Message)
                : (PhotographGrading.ImageUndecodable, "image cannot be decoded: " + ex.Message);
            reason = reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason;
            var shadowRefusal = shadow.Grader is { } s ? Undecodable(reason, s) : null;
            return new PhotographGrading(Undecodable(reason, _grader), shadowRefusal) { DecodeFailure = cause };
        }

        var (quality, assessed) = Assess(frame);
        if (!quality.Gradable)
        {
            var shadowUngradable = shadow.Grader is { } s ? Ungradable(quality, assessed, s) : null;
            return new PhotographGrading(Ungradable(quality, assessed, _grader), shadowUngradable);
        }

        var graded = await engine.GradeAsync(frame, cancellationToken).ConfigureAwait(false);
        var outcome = Outcome(frame, fullSize, quality, assessed, graded);
        var shadowOutcome = shadow.Grader is { } candidate ? Outcome(frame, fullSize, quality, assessed, candidate.Grade(frame)) : null;
        return new PhotographGrading(outcome, shadowOutcome);
    }

    /// <summary>Runs every stage once on <paramref name="frame"/>, whatever its gradability: loads the models and JIT-compiles the path.</summary>
    public void Warm(RgbFrame frame)
    {
        assessor.Assess(frame);
        var g = _grader.Grade(frame);
        Outcome(frame, (frame.Width, frame.Height), new Gradability(true, null, GradabilityAssessor.Measure(frame)), TimeSpan.Zero, g);
        shadow.Grader?.Grade(frame);
    }

    private (Gradability Quality, TimeSpan Elapsed) Assess(RgbFrame frame)
    {
        var started = Stopwatch.GetTimestamp();
        var quality = assessor.Assess(frame);
        return (quality, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The longest reason a prediction stores.</summary>
    private const int MaxReasonLength = 256;

    private static GradingOutcome Undecodable(string reason, DrGrader grader) =>
        new(false, reason, 0, [], 0, 0, grader.Card.OperatingPoints.ReferableDr.Threshold, grader.Card.OperatingPoints.ReferableDme.Threshold,
            false, false, TimeSpan.Zero, TimeSpan.Zero, Quality: null);

    private static GradingOutcome Ungradable(Gradability quality, TimeSpan assessed, DrGrader grader) =>
        new(false, quality.Reason, 0, [], 0, 0, grader.Card.OperatingPoints.ReferableDr.Threshold, grader.Card.OperatingPoints.ReferableDme.Threshold,
            false, false, assessed, TimeSpan.Zero, quality.Features);

    /// <param name="fullSize">The photograph's size (Columns, Rows); larger than the frame when it was decoded reduced.</param>
    private static GradingOutcome Outcome(RgbFrame frame, (int Width, int Height) fullSize, Gradability quality, TimeSpan assessed, DrGrading g)
    {
        var started = Stopwatch.GetTimestamp();
        var heatmap = g.Cam is { } cam ? HeatmapOverlay.RenderPng(g.Crop ?? FundusPreprocessor.Crop(frame), cam, g.CamSize) : null;
        var postprocess = Stopwatch.GetElapsedTime(started);
        return new GradingOutcome(true, null, g.Grade, g.GradeProbabilities, g.ReferableDrScore, g.ReferableDmeScore, g.DrThreshold, g.DmeThreshold,
            g.ReferableDr, g.ReferableDme, assessed + g.Preprocess, g.Inference, quality.Features)
        {
            HeatmapPng = heatmap,
            FieldBox = FieldBox.Of(frame, fullSize.Width, fullSize.Height),
            Postprocess = postprocess,
        };
    }

    /// <summary>
    /// Decodes the first frame of a stored Part 10 file. Only DICOM is graded: the pixel decoder checks the
    /// compressed frame against the header's Rows and Columns, so a hostile file cannot ask for unbounded memory.
    /// A large JPEG photograph is decoded reduced (by 2, 4 or 8) to no less than <see cref="DecodeMinimumSide"/>.
    /// </summary>
    public static RgbFrame Decode(string path) => DecodeStored(path).Frame;

    /// <summary>As <see cref="Decode"/>, with the photograph's full size, which a reduced decode does not show.</summary>
    private static (RgbFrame Frame, (int Width, int Height) FullSize) DecodeStored(string path)
    {
        var file = DicomFile.Open(path, ReadOptions);
        var frame = FrameDecoder.Decode(file, 0, DecodeMinimumSide);
        return (frame, (file.Dataset.GetInt32(DicomTag.Columns, frame.Width), file.Dataset.GetInt32(DicomTag.Rows, frame.Height)));
    }

    /// <summary>
    /// The shortest side a photograph is decoded at: twice the model's input, so that the field crop still averages
    /// at least two source pixels per input pixel each way, and above the gradability check's 384-pixel analysis size.
    /// Photographs up to 1,023 pixels (the synthetic training set's 768 included) decode at full size, as before.
    /// </summary>
    public const int DecodeMinimumSide = 2 * FundusPreprocessor.InputSize;

    private static readonly DicomReadOptions ReadOptions = new() { DeferValuesLargerThan = 64 * 1024, MaxDepth = 16 };
}

/// <summary>The production model's outcome and, when a candidate runs in shadow, the candidate's.</summary>
public sealed record PhotographGrading(GradingOutcome Outcome, GradingOutcome? Shadow)
{
    /// <summary><see cref="DecodeFailure"/> of a photograph whose pixel data is damaged (cut short, contradicting its header).</summary>
    public const string ImageDamaged = "image-damaged";

    /// <summary><see cref="DecodeFailure"/> of a photograph in an encoding the toolkit does not decode.</summary>
    public const string ImageUndecodable = "image-undecodable";

    /// <summary>Why the photograph could not be decoded whole (<see cref="ImageDamaged"/> or <see cref="ImageUndecodable"/>);
    /// null when it was decoded.</summary>
    public string? DecodeFailure { get; init; }
}
