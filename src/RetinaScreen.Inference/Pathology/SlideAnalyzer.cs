using System.Diagnostics;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// Analyses a VL Whole Slide Microscopy image for metastases. Frames are decoded one at a time, straight from the file
/// (pixel data is deferred, never loaded whole); in each tile the patch grid's cells are checked against the card's
/// tissue rule, tissue patches join the current model batch (a batch spans tiles), and background is skipped. At the end
/// the patch probabilities fold into the slide probability (top-k mean), the top regions and a downscaled overview for
/// the heatmap. A full batch is scored on a worker thread while the next tiles fill a second one. Memory stays at one
/// decoded tile, two batches, the patch grid and the overview, whatever the slide's size.
/// </summary>
public sealed class SlideAnalyzer(MetastasisDetector detector, PathologyOptions options)
{
    /// <summary>How slides are opened: every value over 1 KiB (each compressed tile is a fragment, often of a few KiB) stays
    /// in the file until its frame is decoded, so a slide of a hundred thousand tiles costs its header, not its pixels.</summary>
    public static readonly DicomReadOptions SlideReadOptions = new() { DeferValuesLargerThan = 1024, MaxDepth = 16 };

    public MetastasisDetector Detector => detector;

    /// <summary>Analyses the Part 10 slide at <paramref name="path"/>.</summary>
    /// <param name="progress">Called after every tile; the caller decides how often to record it.</param>
    public Task<SlideAnalysisResult> AnalyzeFileAsync(
        string path, Func<SlideProgress, CancellationToken, ValueTask>? progress, CancellationToken cancellationToken)
    {
        var file = DicomFile.Open(path, SlideReadOptions);
        var sopClass = file.Dataset.GetUid(DicomTag.SopClassUid);
        if (sopClass != DicomUids.VlWholeSlideMicroscopyImage)
        {
            throw new DicomImagingException($"SOP class {sopClass} is not VL Whole Slide Microscopy Image; there is no slide to analyse.");
        }

        var map = WholeSlideTileMap.From(file.Dataset);
        return AnalyzeAsync(map, frame => FrameDecoder.Decode(file, frame), progress, cancellationToken);
    }

    /// <summary>Analyses the slide whose tiles <paramref name="map"/> places and <paramref name="readFrame"/> decodes,
    /// asking for each frame once, in frame order, and keeping none of them.</summary>
    public async Task<SlideAnalysisResult> AnalyzeAsync(
        WholeSlideTileMap map, Func<int, RgbFrame> readFrame, Func<SlideProgress, CancellationToken, ValueTask>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(readFrame);
        var started = Stopwatch.GetTimestamp();
        var card = detector.Card;
        var patch = card.SlideAggregation.PatchSize ?? detector.PatchSize;
        var stride = card.SlideAggregation.Stride ?? patch;
        if (patch != detector.PatchSize)
        {
            throw new InvalidDataException($"Card {card.Name} {card.Version} aggregates {patch}-pixel patches but the model takes {detector.PatchSize}; rescaling is not implemented.");
        }

        if (stride <= 0 || map.TileColumns % stride != 0 || map.TileRows % stride != 0 || patch > map.TileColumns || patch > map.TileRows)
        {
            throw new DicomImagingException($"Tiles of {map.TileColumns}×{map.TileRows} do not hold a whole {patch}-pixel patch grid of stride {stride}.");
        }

        // Only the first focal plane and optical path: the grid is two-dimensional.
        var tiles = map.Tiles.Where(t => t.FocalPlane == 0 && t.OpticalPath == 0).ToList();
        var columns = map.TotalColumns < patch ? 0 : (map.TotalColumns - patch) / stride + 1;
        var rows = map.TotalRows < patch ? 0 : (map.TotalRows - patch) / stride + 1;
        var grid = new float[columns * rows];
        Array.Fill(grid, float.NaN);
        var overview = new Overview(map.TotalColumns, map.TotalRows, Math.Max(64, options.HeatmapMaxSide));

        var rule = card.TissueDetection;
        var inference = TimeSpan.Zero;
        var tissue = 0;
        var analysed = 0;

        // Two batches, so that the model scores one on a worker thread while this thread decodes the next tiles into the
        // other: sequentially the model waited for decoding and decoding for the model. One model run at a time, as before.
        var filling = new PendingBatch(detector.RentBatch(), new int[detector.MaxBatch]);
        var submitted = new PendingBatch(detector.RentBatch(), new int[detector.MaxBatch]);
        var scoring = Task.FromResult(TimeSpan.Zero);

        // Waits for the batch in flight (its scores are then in the grid) and sends the filled one in its place.
        async Task SubmitAsync()
        {
            inference += await scoring.ConfigureAwait(false);
            (filling, submitted) = (submitted, filling);
            filling.Batch.Clear();
            var batch = submitted;
            scoring = Task.Run(() => ScoreIntoGrid(batch, grid));
        }

        try
        {
            foreach (var tile in tiles)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var frame = readFrame(tile.Frame);
                var left = tile.Column - 1;
                var top = tile.Row - 1;
                overview.Add(frame, left, top);
                // Cells whose origin lies in this tile and whose patch fits both the tile and the total pixel matrix.
                for (var y = 0; y + patch <= Math.Min(frame.Height, map.TotalRows - top); y += stride)
                {
                    for (var x = 0; x + patch <= Math.Min(frame.Width, map.TotalColumns - left); x += stride)
                    {
                        var gx = left + x;
                        var gy = top + y;
                        if (gx < 0 || gy < 0 || gx % stride != 0 || gy % stride != 0)
                        {
                            continue;
                        }

                        if (!TissueDetector.IsTissue(frame.Pixels, frame.Stride, x, y, patch, rule))
                        {
                            continue;
                        }

                        filling.Cells[filling.Batch.Add(frame.Pixels, frame.Stride, x, y)] = gy / stride * columns + gx / stride;
                        tissue++;
                        if (filling.Batch.IsFull)
                        {
                            await SubmitAsync().ConfigureAwait(false);
                        }
                    }
                }

                analysed++;
                if (progress is not null)
                {
                    await progress(new SlideProgress(analysed, tiles.Count, tissue), cancellationToken).ConfigureAwait(false);
                }
            }

            if (filling.Batch.Count > 0)
            {
                await SubmitAsync().ConfigureAwait(false);
            }

            inference += await scoring.ConfigureAwait(false);
        }
        finally
        {
            // A cancelled or failed analysis still waits for the model run in flight (WhenAny: without rethrowing its
            // failure over the one already leaving): the batches go back to the detector only when no run uses them.
            await Task.WhenAny(scoring).ConfigureAwait(false);
            filling.Batch.Dispose();
            submitted.Batch.Dispose();
        }

        var probability = SlideAggregation.TopKMean(grid, card.SlideAggregation.K);
        var regions = SlideAggregation.TopCells(grid, Math.Max(0, options.TopRegions))
            .Select(cell => new SlideRegion(cell % columns * stride, cell / columns * stride, patch, patch, Math.Round(grid[cell], 6)))
            .ToList();
        return new SlideAnalysisResult
        {
            Model = detector.Identity,
            Width = map.TotalColumns,
            Height = map.TotalRows,
            TilesTotal = tiles.Count,
            TilesAnalysed = analysed,
            Patches = grid.Length,
            TissuePatches = tissue,
            Probability = probability,
            Threshold = card.OperatingPoints.Slide.Threshold,
            TopRegions = regions,
            Grid = new PatchGrid(columns, rows, stride, patch, grid),
            Overview = overview.ToFrame(),
            Elapsed = Stopwatch.GetElapsedTime(started),
            Inference = inference,
        };
    }

    /// <summary>Scores <paramref name="pending"/>'s patches and writes each score into its grid cell.</summary>
    /// <returns>The time spent in the model.</returns>
    private TimeSpan ScoreIntoGrid(PendingBatch pending, float[] grid)
    {
        var started = Stopwatch.GetTimestamp();
        var scores = detector.Score(pending.Batch);
        var elapsed = Stopwatch.GetElapsedTime(started);
        for (var i = 0; i < scores.Length; i++)
        {
            grid[pending.Cells[i]] = scores[i];
        }

        return elapsed;
    }

    /// <summary>A batch of tissue patches and, per patch, the grid cell its score belongs to.</summary>
    private sealed record PendingBatch(MetastasisDetector.PatchBatch Batch, int[] Cells);

    /// <summary>The slide shrunk by a whole factor, each overview pixel sampled at the centre of its block of slide pixels,
    /// filled tile by tile as the tiles pass.</summary>
    private sealed class Overview
    {
        private readonly int _factor;
        private readonly int _width;
        private readonly int _height;
        private readonly byte[] _pixels;

        public Overview(int totalColumns, int totalRows, int maxSide)
        {
            _factor = Math.Max(1, (Math.Max(totalColumns, totalRows) + maxSide - 1) / maxSide);
            _width = Math.Max(1, (totalColumns + _factor - 1) / _factor);
            _height = Math.Max(1, (totalRows + _factor - 1) / _factor);
            _pixels = new byte[_width * _height * 3];
            // Unseen areas (a sparse slide's gaps) show as glass.
            Array.Fill(_pixels, (byte)255);
        }

        public void Add(RgbFrame frame, int left, int top)
        {
            var half = _factor / 2;
            var firstX = Math.Max(0, (left + _factor - 1 - half) / _factor);
            var firstY = Math.Max(0, (top + _factor - 1 - half) / _factor);
            for (var oy = firstY; oy < _height; oy++)
            {
                var sy = oy * _factor + half - top;
                if (sy < 0)
                {
                    continue;
                }

                if (sy >= frame.Height)
                {
                    break;
                }

                for (var ox = firstX; ox < _width; ox++)
                {
                    var sx = ox * _factor + half - left;
                    if (sx < 0)
                    {
                        continue;
                    }

                    if (sx >= frame.Width)
                    {
                        break;
                    }

                    frame.Pixels.AsSpan(sy * frame.Stride + sx * 3, 3).CopyTo(_pixels.AsSpan((oy * _width + ox) * 3, 3));
                }
            }
        }

        public RgbFrame ToFrame() => new(_width, _height, _pixels);
    }
}

/// <summary>The card's slide aggregation and the top regions, over the patch grid (NaN cells are background).</summary>
public static class SlideAggregation
{
    /// <summary>The mean of the <paramref name="k"/> highest patch probabilities (all of them when fewer); 0 when no
    /// patch is tissue: a slide without tissue shows no metastasis, and its tissue count says why.</summary>
    public static double TopKMean(ReadOnlySpan<float> probabilities, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var top = new PriorityQueue<float, float>(k + 1);
        foreach (var p in probabilities)
        {
            if (float.IsNaN(p))
            {
                continue;
            }

            top.Enqueue(p, p);
            if (top.Count > k)
            {
                top.Dequeue();
            }
        }

        if (top.Count == 0)
        {
            return 0;
        }

        double sum = 0;
        var n = top.Count;
        while (top.TryDequeue(out var p, out _))
        {
            sum += p;
        }

        return sum / n;
    }

    /// <summary>Indices of the <paramref name="count"/> highest-scoring cells, highest first (ties: lower index first).</summary>
    public static IReadOnlyList<int> TopCells(float[] probabilities, int count)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        return [.. probabilities
            .Select((p, i) => (p, i))
            .Where(c => !float.IsNaN(c.p))
            .OrderByDescending(c => c.p)
            .ThenBy(c => c.i)
            .Take(count)
            .Select(c => c.i)];
    }
}
