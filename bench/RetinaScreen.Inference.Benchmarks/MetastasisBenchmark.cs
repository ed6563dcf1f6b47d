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
/// The metastasis patch classifier: per batch of tissue patches, the slide analyser's per-patch work against bare
/// <see cref="InferenceSession.Run"/> on the tensor that work prepared; then whole slides end to end.
/// </summary>
internal static class MetastasisBenchmark
{
    private const int Seed = 23_900_000;

    public static void Run(string provider, IReadOnlyList<int> batches, TimeSpan minDuration, TimeSpan maxDuration, string folder)
    {
        // A 2048×2048 slide with tumour, stored as the scanner would send it: JPEG baseline 256-pixel tiles.
        var path = Path.Combine(folder, "slide.dcm");
        WholeSlideWriter.Write(path, SlideSynthesizer.Generate(Seed, new SlideSpec { Tumour = true }), Seed);

        var cardPath = PathologyOptions.Resolve(PathologyOptions.DefaultModelCard);
        var options = new PathologyOptions { ExecutionProvider = provider, MaxBatch = batches.Max() };
        using var detector = new MetastasisDetector(cardPath, options);
        var (sessionOptions, _) = ExecutionProviders.CreateSessionOptions(provider, options.IntraOpThreads, NullLogger.Instance, "bench");
        using var session = new InferenceSession(File.ReadAllBytes(detector.Card.ModelPath), sessionOptions);
        sessionOptions.Dispose();
        string[] inputNames = [detector.Card.Input.Name];
        string[] outputNames = [detector.Card.OutputName];

        Console.WriteLine();
        Console.WriteLine($"model      {detector.Card.Name} {detector.Card.Version}, {detector.PatchSize}-pixel patches; slide {Path.GetFileName(path)} 2048×2048, JPEG 256-pixel tiles ({new FileInfo(path).Length / 1024} KiB)");
        Console.WriteLine($"{"metastasis",-12}{"batch",6}{"patches/s",12}{"p50 ms",10}{"p99 ms",10}   {"bare Run patches/s",18}{"p50 ms",10}{"p99 ms",10}{"ratio",8}");
        var stream = new SlideStream(path, detector, options);
        foreach (var batch in batches)
        {
            var pipeline = Measurement.Run("pipeline", batch, () => stream.Next(batch), warmup: 2, minRuns: 10, minDuration, maxDuration);

            // The tensor the pipeline's last batch was scored on, as its own copy for a session of its own.
            var sample = 3 * detector.PatchSize * detector.PatchSize;
            var prepared = stream.Batch.Input.AsSpan(0, batch * sample).ToArray();
            using var input = OrtValue.CreateTensorValueFromMemory(prepared, [batch, 3, detector.PatchSize, detector.PatchSize]);
            using var output = OrtValue.CreateTensorValueFromMemory(new float[batch], [batch, 1]);
            using var runOptions = new RunOptions();
            var bare = Measurement.Run("bare Run", batch, () => session.Run(runOptions, inputNames, [input], outputNames, [output]),
                warmup: 3, minRuns: 10, minDuration, maxDuration);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-12}{batch,6}{pipeline.ImagesPerSecond,12:F1}{pipeline.P50,10:F2}{pipeline.P99,10:F2}   {bare.ImagesPerSecond,18:F1}{bare.P50,10:F2}{bare.P99,10:F2}{pipeline.ImagesPerSecond / bare.ImagesPerSecond,8:F2}"));
        }

        stream.Dispose();

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
        };

        // Whole slides as the consumer runs them: open, analyse (frames decoded one at a time), heatmap PNG.
        Console.WriteLine();
        SlideAnalysisResult? result = null;
        Console.WriteLine($"{"whole slide",-12}{"batch",6}{"patches/s",12}{"s/slide",10}{"p99 s",10}   {"tissue",8}{"tiles",7}{"model share",13}");
        foreach (var batch in new[] { batches.Max(), new PathologyOptions().MaxBatch }.Distinct())
        {
            var slideOptions = new PathologyOptions { ExecutionProvider = provider, MaxBatch = batch };
            using var slideDetector = new MetastasisDetector(cardPath, slideOptions);
            var analyzer = new SlideAnalyzer(slideDetector, slideOptions);
            SlideAnalysisResult? last = null;
            var inference = TimeSpan.Zero;
            var elapsed = TimeSpan.Zero;
            var first = analyzer.AnalyzeFileAsync(path, null, CancellationToken.None).GetAwaiter().GetResult();
            var slide = Measurement.Run("whole slide", first.TissuePatches, () =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                last = analyzer.AnalyzeFileAsync(path, null, CancellationToken.None).GetAwaiter().GetResult();
                SlideHeatmap.RenderPng(last);
                elapsed += System.Diagnostics.Stopwatch.GetElapsedTime(started);
                inference += last.Inference;
            }, warmup: 0, minRuns: 3, minDuration, maxDuration);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"",-12}{batch,6}{slide.ImagesPerSecond,12:F1}{slide.P50 / 1000,10:F3}{slide.P99 / 1000,10:F3}   {last!.TissuePatches,8}{last.TilesAnalysed,7}{inference / elapsed,13:P0}"));
            result = last;
        }

        stages = [.. stages, Measurement.Run("slide: top-k, top regions, heatmap PNG", 1, () =>
        {
            SlideAggregation.TopKMean(result!.Grid.Probabilities, detector.Card.SlideAggregation.K);
            SlideAggregation.TopCells(result.Grid.Probabilities, 5);
            SlideHeatmap.RenderPng(result);
        }, 2, 10, short3, long3)];
        Console.WriteLine();
        Console.WriteLine($"{"stage",-42}{"p50 ms",10}{"p99 ms",10}");
        foreach (var stage in stages)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage.Name,-42}{stage.P50,10:F3}{stage.P99,10:F3}"));
        }
    }

    /// <summary>
    /// <see cref="SlideAnalyzer.AnalyzeAsync"/>'s loop, cut into batches of a given size that continue where the last
    /// one stopped: each batch decodes the stored JPEG frames it needs (a 256-pixel tile holds 16 patches), adds them to
    /// the overview, checks the tissue rule per patch, normalises tissue patches into the pinned tensor, runs the model
    /// and writes the scores into the grid; the batch that finishes the slide also pays for the slide's aggregation,
    /// top regions and heatmap PNG, and reopens the file. So per patch it costs what the analyser costs per patch.
    /// </summary>
    private sealed class SlideStream(string path, MetastasisDetector detector, PathologyOptions options) : IDisposable
    {
        private readonly int _patch = detector.PatchSize;
        private readonly int[] _pending = new int[detector.MaxBatch];
        private DicomFile _file = null!;
        private WholeSlideTileMap _map = null!;
        private IReadOnlyList<WholeSlideTile> _tiles = [];
        private int _columns;
        private float[] _grid = [];
        private SlideAnalyzer.Overview _overview = null!;
        private int _tile = -1;
        private RgbFrame? _frame;
        private int _cell;
        private int _tissue;

        public MetastasisDetector.PatchBatch Batch { get; } = detector.RentBatch();

        public void Next(int size)
        {
            if (_tile < 0)
            {
                Open();
            }

            Batch.Clear();
            while (Batch.Count < size)
            {
                if (_frame is null || _cell == CellsPerTile)
                {
                    NextTile();
                    continue;
                }

                var x = _cell % CellsAcross * _patch;
                var y = _cell / CellsAcross * _patch;
                _cell++;
                if (!TissueDetector.IsTissue(_frame.Pixels, _frame.Stride, x, y, _patch, detector.Card.TissueDetection))
                {
                    continue;
                }

                var tile = _tiles[_tile];
                _pending[Batch.Add(_frame.Pixels, _frame.Stride, x, y)] = (tile.Row - 1 + y) / _patch * _columns + (tile.Column - 1 + x) / _patch;
                _tissue++;
            }

            var scores = detector.Score(Batch);
            for (var i = 0; i < scores.Length; i++)
            {
                _grid[_pending[i]] = scores[i];
            }
        }

        public void Dispose() => Batch.Dispose();

        // Tiles are whole multiples of the patch, as the analyser requires, and the synthetic slide is whole tiles.
        private int CellsAcross => _map.TileColumns / _patch;

        private int CellsPerTile => CellsAcross * (_map.TileRows / _patch);

        private void NextTile()
        {
            if (_tile + 1 == _tiles.Count)
            {
                FinishSlide();
                Open();
            }

            _tile++;
            var tile = _tiles[_tile];
            _frame = FrameDecoder.Decode(_file, tile.Frame);
            _overview.Add(_frame, tile.Column - 1, tile.Row - 1);
            _cell = 0;
        }

        private void Open()
        {
            _file = DicomFile.Open(path, SlideAnalyzer.SlideReadOptions);
            _map = WholeSlideTileMap.From(_file.Dataset);
            _tiles = [.. _map.Tiles.Where(t => t.FocalPlane == 0 && t.OpticalPath == 0)];
            _columns = _map.TotalColumns / _patch;
            _grid = new float[_columns * (_map.TotalRows / _patch)];
            Array.Fill(_grid, float.NaN);
            _overview = new SlideAnalyzer.Overview(_map.TotalColumns, _map.TotalRows, Math.Max(64, options.HeatmapMaxSide));
            _tile = -1;
            _frame = null;
            _tissue = 0;
        }

        private void FinishSlide()
        {
            var card = detector.Card;
            var result = new SlideAnalysisResult
            {
                Model = detector.Identity,
                Width = _map.TotalColumns,
                Height = _map.TotalRows,
                TilesTotal = _tiles.Count,
                TilesAnalysed = _tiles.Count,
                Patches = _grid.Length,
                TissuePatches = _tissue,
                Probability = SlideAggregation.TopKMean(_grid, card.SlideAggregation.K),
                Threshold = card.OperatingPoints.Slide.Threshold,
                TopRegions = [.. SlideAggregation.TopCells(_grid, options.TopRegions)
                    .Select(cell => new SlideRegion(cell % _columns * _patch, cell / _columns * _patch, _patch, _patch, Math.Round(_grid[cell], 6)))],
                Grid = new PatchGrid(_columns, _grid.Length / _columns, _patch, _patch, _grid),
                Overview = _overview.ToFrame(),
                Elapsed = TimeSpan.Zero,
                Inference = TimeSpan.Zero,
            };
            SlideHeatmap.RenderPng(result);
        }
    }
}
