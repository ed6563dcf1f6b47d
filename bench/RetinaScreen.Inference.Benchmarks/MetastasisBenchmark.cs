using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Pathology;

namespace RetinaScreen.Inference.Benchmarks;

/// <summary>
/// The metastasis patch classifier: whole slides through the real analyser (<see cref="SlideAnalyzer.AnalyzeFileAsync"/>
/// and the heatmap PNG) at each model batch size, against bare <see cref="InferenceSession.Run"/> on a batch of the same
/// slide's tissue patches as the analyser prepares them; then each stage alone.
/// </summary>
internal static class MetastasisBenchmark
{
    private const int Seed = 23_900_000;

    public static void Run(string provider, int intraOpThreads, int slideSize, IReadOnlyList<int> batches, TimeSpan minDuration, TimeSpan maxDuration, string folder)
    {
        // A square slide with tumour, stored as the scanner would send it: JPEG baseline 256-pixel tiles. Each slide also
        // pays a fixed end (top-k, regions, the 1024-pixel heatmap PNG), so a small slide understates the share of the
        // per-patch work that a real scan of tens of thousands of pixels a side shows; --slide-size sets the side.
        var path = Path.Combine(folder, "slide.dcm");
        WholeSlideWriter.Write(path, SlideSynthesizer.Generate(Seed, new SlideSpec { Tumour = true, Width = slideSize, Height = slideSize }), Seed);

        // The worker's default batch too, so that the slide is also timed as the worker analyses it.
        int[] rows = [.. batches.Append(new PathologyOptions().MaxBatch).Distinct()];
        var cardPath = PathologyOptions.Resolve(PathologyOptions.DefaultModelCard);
        var options = new PathologyOptions { ExecutionProvider = provider, MaxBatch = rows.Max(), IntraOpThreads = intraOpThreads };
        using var detector = new MetastasisDetector(cardPath, options);
        var (sessionOptions, _) = ExecutionProviders.CreateSessionOptions(provider, intraOpThreads, NullLogger.Instance, "bench");
        using var session = new InferenceSession(File.ReadAllBytes(detector.Card.ModelPath), sessionOptions);
        sessionOptions.Dispose();
        string[] inputNames = [detector.Card.Input.Name];
        string[] outputNames = [detector.Card.OutputName];
        var prepared = PrepareTissuePatches(path, detector);
        var sample = 3 * detector.PatchSize * detector.PatchSize;

        Console.WriteLine();
        Console.WriteLine($"model      {detector.Card.Name} {detector.Card.Version}, {detector.PatchSize}-pixel patches, on {detector.ExecutionProvider}, intra-op threads {(intraOpThreads == 0 ? "ONNX Runtime's choice" : intraOpThreads)}; slide {Path.GetFileName(path)} {slideSize}×{slideSize}, JPEG 256-pixel tiles ({new FileInfo(path).Length / 1024} KiB)");
        Console.WriteLine("Metastasis pipeline: whole slides, one after another, through SlideAnalyzer.AnalyzeFileAsync (open, decode JPEG tiles, tissue");
        Console.WriteLine("check, normalise, model runs overlapped with the next tiles, top-k, top regions) and the heatmap PNG; patches/s counts tissue");
        Console.WriteLine("patches; latency per slide; model busy: the analyser's Inference over its Elapsed. Bare Run: latency per batch.");
        Console.WriteLine($"{"metastasis",-12}{"batch",6}{"patches/s",12}{"p50 s",9}{"p99 s",9}{"slides",8}{"model busy",12}   {"bare Run patches/s",18}{"p50 ms",10}{"p99 ms",10}{"ratio",8}");
        SlideAnalysisResult? result = null;
        foreach (var batch in rows)
        {
            var slideOptions = new PathologyOptions { ExecutionProvider = provider, MaxBatch = batch, IntraOpThreads = intraOpThreads };
            using var slideDetector = new MetastasisDetector(cardPath, slideOptions);
            var analyzer = new SlideAnalyzer(slideDetector, slideOptions);
            // The warm-up slide, which also says how many tissue patches each slide counts for.
            var first = analyzer.AnalyzeFileAsync(path, null, CancellationToken.None).GetAwaiter().GetResult();
            var inference = TimeSpan.Zero;
            var analysis = TimeSpan.Zero;
            var pipeline = Measurement.Run("pipeline", first.TissuePatches, () =>
            {
                result = analyzer.AnalyzeFileAsync(path, null, CancellationToken.None).GetAwaiter().GetResult();
                SlideHeatmap.RenderPng(result);
                inference += result.Inference;
                analysis += result.Elapsed;
            }, warmup: 0, minRuns: 3, minDuration, maxDuration);

            using var input = OrtValue.CreateTensorValueFromMemory(prepared.AsSpan(0, batch * sample).ToArray(), [batch, 3, detector.PatchSize, detector.PatchSize]);
            using var output = OrtValue.CreateTensorValueFromMemory(new float[batch], [batch, 1]);
            using var runOptions = new RunOptions();
            var bare = Measurement.Run("bare Run", batch, () => session.Run(runOptions, inputNames, [input], outputNames, [output]),
                warmup: 3, minRuns: 10, minDuration, maxDuration);
            var busy = inference / analysis;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-12}{batch,6}{pipeline.ImagesPerSecond,12:F1}{pipeline.P50 / 1000,9:F3}{pipeline.P99 / 1000,9:F3}{pipeline.LatenciesMs.Count,8}{busy,12:P0}   {bare.ImagesPerSecond,18:F1}{bare.P50,10:F2}{bare.P99,10:F2}{pipeline.ImagesPerSecond / bare.ImagesPerSecond,8:F2}"));
        }

        Console.WriteLine($"slide      {result!.TissuePatches} tissue patches of {result.Patches} grid cells, {result.TilesAnalysed} tiles");

        // Where a patch's time goes, each stage alone.
        var file = DicomFile.Open(path, SlideAnalyzer.SlideReadOptions);
        var frameCount = FrameDecoder.GetFrameCount(file.Dataset);
        var middle = FrameDecoder.Decode(file, frameCount / 2);
        var rule = detector.Card.TissueDetection;
        using var one = detector.RentBatch();
        var short3 = minDuration / 3;
        var long3 = maxDuration / 3;
        var stages = new[]
        {
            Measurement.Run("decode one tile (DICOM JPEG, 256 px)", 1, () => FrameDecoder.Decode(file, frameCount / 2), 2, 10, short3, long3),
            Measurement.Run("tissue check, one patch", 1, () => TissueDetector.IsTissue(middle.Pixels, middle.Stride, 64, 64, detector.PatchSize, rule), 2, 10, short3, long3),
            Measurement.Run("normalise one patch into the tensor", 1, () =>
            {
                one.Clear();
                one.Add(middle.Pixels, middle.Stride, 64, 64);
            }, 2, 10, short3, long3),
            Measurement.Run("slide: top-k, top regions, heatmap PNG", 1, () =>
            {
                SlideAggregation.TopKMean(result.Grid.Probabilities, detector.Card.SlideAggregation.K);
                SlideAggregation.TopCells(result.Grid.Probabilities, 5);
                SlideHeatmap.RenderPng(result);
            }, 2, 10, short3, long3),
        };
        Console.WriteLine();
        Console.WriteLine($"{"stage",-42}{"p50 ms",10}{"p99 ms",10}");
        foreach (var stage in stages)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage.Name,-42}{stage.P50,10:F3}{stage.P99,10:F3}"));
        }
    }

    /// <summary>
    /// The slide's first tissue patches, as many as <paramref name="detector"/>'s batch holds, normalised into its tensor
    /// by <see cref="MetastasisDetector.PatchBatch.Add"/> as the analyser does: the inputs bare Run is timed on.
    /// </summary>
    private static float[] PrepareTissuePatches(string path, MetastasisDetector detector)
    {
        var file = DicomFile.Open(path, SlideAnalyzer.SlideReadOptions);
        var size = detector.PatchSize;
        using var batch = detector.RentBatch();
        for (var frame = 0; !batch.IsFull; frame++)
        {
            var tile = FrameDecoder.Decode(file, frame);
            for (var cell = 0; cell < tile.Width / size * (tile.Height / size) && !batch.IsFull; cell++)
            {
                var x = cell % (tile.Width / size) * size;
                var y = cell / (tile.Width / size) * size;
                if (TissueDetector.IsTissue(tile.Pixels, tile.Stride, x, y, size, detector.Card.TissueDetection))
                {
                    batch.Add(tile.Pixels, tile.Stride, x, y);
                }
            }
        }

        return batch.Input.AsSpan(0, batch.Count * 3 * size * size).ToArray();
    }
}
