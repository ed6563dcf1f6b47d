using System.Security.Cryptography;
using System.Text.Json;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Cli.Validation;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Models;
using RetinaScreen.Inference.Pathology;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Inference.Tests;

/// <summary>The shipped metastasis model, loaded once for the test class (loading verifies its hash).</summary>
public sealed class ShippedMetastasisModel : IDisposable
{
    public ShippedMetastasisModel()
    {
        Options = new PathologyOptions { MaxBatch = 32, IntraOpThreads = 2 };
        Detector = new MetastasisDetector(CardPath, Options);
        Analyzer = new SlideAnalyzer(Detector, Options);
    }

    public static string CardPath => PathologyOptions.Resolve(PathologyOptions.DefaultModelCard);

    public PathologyOptions Options { get; }

    public MetastasisDetector Detector { get; }

    public SlideAnalyzer Analyzer { get; }

    public void Dispose() => Detector.Dispose();
}

public sealed class SlideAnalysisTests(ShippedMetastasisModel model) : IClassFixture<ShippedMetastasisModel>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-slides-").FullName;

    [Fact]
    public void REQ_PATH_01_glass_is_background_and_stained_tissue_is_tissue_by_the_cards_rule()
    {
        var rule = model.Detector.Card.TissueDetection;
        const int Size = 64;
        var glass = Fill(Size, 245, 243, 240);
        var stained = Fill(Size, 200, 120, 180);

        Assert.False(TissueDetector.IsTissue(glass, Size * 3, 0, 0, Size, rule));
        Assert.True(TissueDetector.IsTissue(stained, Size * 3, 0, 0, Size, rule));
        Assert.Equal(0, TissueDetector.TissueFraction(glass, Size * 3, 0, 0, Size, rule.GlassMinimum));
        Assert.Equal(1, TissueDetector.TissueFraction(stained, Size * 3, 0, 0, Size, rule.GlassMinimum));

        // A pixel is glass only when every channel is near white: one dark channel makes it tissue.
        var oneChannel = Fill(Size, 250, 250, (byte)(rule.GlassMinimum - 1));
        Assert.Equal(1, TissueDetector.TissueFraction(oneChannel, Size * 3, 0, 0, Size, rule.GlassMinimum));

        // The edge of a section: rows of tissue over glass, just under and just at the card's minimum fraction.
        var rowsAtMinimum = (int)Math.Ceiling(rule.MinimumTissueFraction * Size);
        Assert.True(TissueDetector.IsTissue(Edge(Size, rowsAtMinimum), Size * 3, 0, 0, Size, rule));
        Assert.False(TissueDetector.IsTissue(Edge(Size, rowsAtMinimum - 1), Size * 3, 0, 0, Size, rule));
    }

    [Fact]
    public void REQ_PATH_02_slide_probability_is_the_mean_of_the_k_highest_tissue_patches()
    {
        float[] grid = [0.1f, float.NaN, 0.9f, 0.8f, float.NaN, 0.3f, 0.7f];

        Assert.Equal((0.9 + 0.8 + 0.7) / 3, SlideAggregation.TopKMean(grid, 3), 6);
        // Fewer tissue patches than k: the mean of those there are; background (NaN) never counts.
        Assert.Equal((0.1 + 0.9 + 0.8 + 0.3 + 0.7) / 5, SlideAggregation.TopKMean(grid, 8), 6);
        // No tissue at all: nothing to find.
        Assert.Equal(0, SlideAggregation.TopKMean(new[] { float.NaN, float.NaN }, 8));
        Assert.Equal([2, 3, 6], SlideAggregation.TopCells(grid, 3));
        Assert.Equal("top-k-mean", model.Detector.Card.SlideAggregation.Method);
    }

    [Fact]
    public void REQ_PATH_03_a_changed_model_file_is_refused_at_load()
    {
        var card = MetastasisModelCard.Load(ShippedMetastasisModel.CardPath);
        Assert.Equal(card.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(card.ModelPath))));
        var cardCopy = Path.Combine(_work, Path.GetFileName(card.CardPath));
        var modelCopy = Path.Combine(_work, card.File);
        File.Copy(card.CardPath, cardCopy);
        var bytes = File.ReadAllBytes(card.ModelPath);
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(modelCopy, bytes);

        var refused = Assert.Throws<ModelIntegrityException>(() => new MetastasisDetector(cardCopy, new PathologyOptions()));
        Assert.Equal(card.Sha256, refused.ExpectedSha256);
        Assert.NotEqual(card.Sha256, refused.ActualSha256);
    }

    [Fact]
    public async Task REQ_PATH_04_a_synthetic_tumour_slide_scores_higher_than_a_normal_one_and_the_operating_point_separates_them()
    {
        var tumour = WriteSlide(9_500_001, tumour: true);
        var normal = WriteSlide(9_500_002, tumour: false);

        var positive = await model.Analyzer.AnalyzeFileAsync(tumour, null, CancellationToken.None);
        var negative = await model.Analyzer.AnalyzeFileAsync(normal, null, CancellationToken.None);

        Assert.True(positive.Probability > negative.Probability, $"tumour {positive.Probability:F3}, normal {negative.Probability:F3}");
        Assert.True(positive.Positive, $"tumour slide {positive.Probability:F3} under the slide threshold {positive.Threshold}");
        Assert.False(negative.Positive, $"normal slide {negative.Probability:F3} over the slide threshold {negative.Threshold}");
        Assert.Equal(model.Detector.Card.OperatingPoints.Slide.Threshold, positive.Threshold);
        Assert.Equal(new ModelIdentity(model.Detector.Card.Name, model.Detector.Card.Version, model.Detector.Card.Sha256), positive.Model);

        // Background is skipped, and every scored patch is one the tissue rule passed.
        Assert.InRange(positive.TissuePatches, 1, positive.Patches - 1);
        Assert.Equal(positive.TissuePatches, positive.Grid.Probabilities.Count(p => !float.IsNaN(p)));

        // The top regions: the highest patches, highest first, inside the slide, the first one's score the grid's maximum.
        Assert.Equal(model.Options.TopRegions, positive.TopRegions.Count);
        Assert.Equal(positive.Grid.Probabilities.Where(p => !float.IsNaN(p)).Max(), positive.TopRegions[0].Probability, 5);
        Assert.Equal(positive.TopRegions.OrderByDescending(r => r.Probability).ToList(), positive.TopRegions);
        Assert.All(positive.TopRegions, r => Assert.True(r.X >= 0 && r.Y >= 0 && r.X + r.Width <= positive.Width && r.Y + r.Height <= positive.Height));

        // The heatmap: a PNG of the downscaled slide.
        var png = SlideHeatmap.RenderPng(positive);
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal(positive.Overview.Width, image.Width);
        Assert.Equal(positive.Overview.Height, image.Height);
    }

    [Fact]
    public async Task REQ_PATH_05_progress_is_reported_after_every_tile_and_frames_are_read_one_at_a_time_and_not_kept()
    {
        // 640×384 in 128-pixel tiles: 5×3 tiles, the left three columns of tiles stained, the other two glass.
        const int Tile = 128;
        var header = new DicomDataset()
            .Set(DicomTag.SopClassUid, DicomUids.VlWholeSlideMicroscopyImage)
            .Set(DicomTag.Rows, Tile).Set(DicomTag.Columns, Tile)
            .Set(DicomTag.NumberOfFrames, 15)
            .Set(DicomTag.TotalPixelMatrixColumns, 640).Set(DicomTag.TotalPixelMatrixRows, 384)
            .Set(DicomTag.DimensionOrganizationType, "TILED_FULL");
        var map = WholeSlideTileMap.From(header);
        var requested = new List<int>();
        var returned = new List<WeakReference<RgbFrame>>();
        var stillAlive = new List<int>();
        RgbFrame Read(int frame)
        {
            // Before handing out frame n, frames up to n−2 must be garbage: the analyzer keeps no tile it has finished.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            for (var i = 0; i + 1 < returned.Count; i++)
            {
                if (returned[i].TryGetTarget(out _))
                {
                    stillAlive.Add(i);
                }
            }

            requested.Add(frame);
            var column = map.Tiles[frame].Column - 1;
            var rgb = column < 384 ? Fill(Tile, 190, 110, 170) : Fill(Tile, 246, 244, 242);
            var decoded = new RgbFrame(Tile, Tile, rgb);
            returned.Add(new WeakReference<RgbFrame>(decoded));
            return decoded;
        }

        var progress = new List<SlideProgress>();
        var result = await model.Analyzer.AnalyzeAsync(map, Read, (p, _) =>
        {
            progress.Add(p);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 15), requested);
        Assert.Empty(stillAlive);
        Assert.Equal(Enumerable.Range(1, 15), progress.Select(p => p.TilesAnalysed));
        Assert.All(progress, p => Assert.Equal(15, p.TilesTotal));
        Assert.Equal(15, result.TilesAnalysed);
        Assert.Equal(result.TilesTotal, progress[^1].TilesAnalysed);
        // The stained tiles (6 of 10 columns of 64-pixel patches, 6 rows) are tissue; the glass is never scored.
        Assert.Equal(10 * 6, result.Patches);
        Assert.Equal(6 * 6, result.TissuePatches);
        Assert.Equal(result.TissuePatches, progress[^1].TissuePatches);
        Assert.All(result.TopRegions, r => Assert.True(r.X < 384));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public async Task REQ_PATH_05_scoring_a_batch_while_the_next_fills_gives_the_grid_of_scoring_patch_by_patch(int maxBatch)
    {
        // 1024×1024 in 256-pixel tiles: batches of 7 end mid-tile and leave a partial batch at the end; batches of 64 span tiles.
        var path = WriteSlide(9_500_021, tumour: true);
        var options = new PathologyOptions { MaxBatch = maxBatch, IntraOpThreads = 2 };
        using var detector = new MetastasisDetector(ShippedMetastasisModel.CardPath, options);
        var expected = ScorePatchByPatch(path);

        var result = await new SlideAnalyzer(detector, options).AnalyzeFileAsync(path, null, CancellationToken.None);

        Assert.Equal(expected, result.Grid.Probabilities);
        Assert.Equal(SlideAggregation.TopKMean(expected, detector.Card.SlideAggregation.K), result.Probability);
        Assert.Equal(expected.Count(p => !float.IsNaN(p)), result.TissuePatches);
        Assert.Equal(SlideAggregation.TopCells(expected, options.TopRegions).Select(cell => Math.Round(expected[cell], 6)), result.TopRegions.Select(r => r.Probability));
        // The model's time is the time spent in its runs, which are never two at once: part of the analysis's time.
        Assert.InRange(result.Inference, TimeSpan.FromTicks(1), result.Elapsed);
    }

    [Fact]
    public async Task REQ_PATH_05_a_cancelled_analysis_stops_at_the_next_tile_and_leaves_the_detectors_batches_usable()
    {
        var path = WriteSlide(9_500_022, tumour: true);
        // Batches of 4: every 256-pixel tile sends several, so one is being scored when the analysis is cancelled.
        var options = new PathologyOptions { MaxBatch = 4, IntraOpThreads = 2 };
        using var detector = new MetastasisDetector(ShippedMetastasisModel.CardPath, options);
        var analyzer = new SlideAnalyzer(detector, options);
        var uninterrupted = await analyzer.AnalyzeFileAsync(path, null, CancellationToken.None);
        using var cancellation = new CancellationTokenSource();
        var tilesAnalysed = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => analyzer.AnalyzeFileAsync(path, (p, _) =>
        {
            tilesAnalysed = p.TilesAnalysed;
            if (p.TilesAnalysed == 3)
            {
                cancellation.Cancel();
            }

            return ValueTask.CompletedTask;
        }, cancellation.Token));
        var again = await analyzer.AnalyzeFileAsync(path, null, CancellationToken.None);

        Assert.Equal(3, tilesAnalysed);
        Assert.Equal(uninterrupted.Grid.Probabilities, again.Grid.Probabilities);
        Assert.Equal(uninterrupted.Probability, again.Probability);
        Assert.Equal(uninterrupted.TissuePatches, again.TissuePatches);
    }

    [Fact]
    public void REQ_PATH_06_a_slide_file_is_opened_with_its_pixel_data_left_on_disk()
    {
        var path = WriteSlide(9_500_003, tumour: false, size: 512);

        var file = DicomFile.Open(path, SlideAnalyzer.SlideReadOptions);
        var pixelData = Assert.IsType<DicomFragmentSequence>(file.Dataset.Find(DicomTag.PixelData));

        Assert.Equal(4, FrameDecoder.GetFrameCount(file.Dataset));
        Assert.Contains(pixelData.Fragments, f => f.IsDeferred);
        Assert.All(pixelData.Fragments, f => Assert.True(f.IsDeferred || f.Length <= 1024, $"a {f.Length}-byte tile was loaded when the slide was opened"));
    }

    [Fact]
    public void REQ_PATH_07_validate_reports_slide_auc_and_the_operating_point_as_table_and_json()
    {
        var data = Path.Combine(_work, "set");
        Directory.CreateDirectory(data);
        var lines = new List<string> { "file,seed,has_tumour,tumour_fraction" };
        foreach (var (seed, tumour) in new[] { (9_500_011, true), (9_500_012, false), (9_500_013, true), (9_500_014, false) })
        {
            var slide = SlideSynthesizer.Generate(seed, SlideSpec.Default with { Width = 768, Height = 768, Tumour = tumour });
            var name = $"slide-{seed}.dcm";
            WholeSlideWriter.Write(Path.Combine(data, name), slide, seed);
            lines.Add(FormattableString.Invariant($"{name},{seed},{(slide.HasTumour ? 1 : 0)},{slide.TumourFraction:0.######}"));
        }

        File.WriteAllLines(Path.Combine(data, "labels.csv"), lines);
        var json = Path.Combine(_work, "report.json");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = ValidateCommand.Run(["--model", ShippedMetastasisModel.CardPath, "--data", data, "--json", json], stdout, stderr);

        Assert.True(exit == 0, stderr.ToString());
        var table = stdout.ToString();
        Assert.Contains("Metastasis, slide (2+/2-)", table, StringComparison.Ordinal);
        Assert.Contains("operating point", table, StringComparison.Ordinal);
        Assert.Contains("DeLong", table, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        var metastasis = report.RootElement.GetProperty("metastasis");
        Assert.Equal(4, report.RootElement.GetProperty("slides").GetInt32());
        Assert.InRange(metastasis.GetProperty("auc").GetProperty("value").GetDouble(), 0, 1);
        var point = metastasis.GetProperty("operatingPoints")[0];
        Assert.Equal(model.Detector.Card.OperatingPoints.Slide.Threshold, point.GetProperty("threshold").GetDouble());
        Assert.Equal(4, report.RootElement.GetProperty("results").GetArrayLength());
    }

    private string WriteSlide(int seed, bool tumour, int size = 1024)
    {
        var slide = SlideSynthesizer.Generate(seed, SlideSpec.Default with { Width = size, Height = size, Tumour = tumour });
        Assert.Equal(tumour, slide.HasTumour);
        var path = Path.Combine(_work, $"{seed}.dcm");
        WholeSlideWriter.Write(path, slide, seed);
        return path;
    }

    /// <summary>The slide's patch grid scored without the analyser: every frame decoded, every 64-pixel cell the tissue rule
    /// passes scored alone, in a model run of its own.</summary>
    private float[] ScorePatchByPatch(string path)
    {
        var size = model.Detector.PatchSize;
        var file = DicomFile.Open(path, SlideAnalyzer.SlideReadOptions);
        var map = WholeSlideTileMap.From(file.Dataset);
        var columns = map.TotalColumns / size;
        var grid = new float[columns * (map.TotalRows / size)];
        Array.Fill(grid, float.NaN);
        foreach (var tile in map.Tiles)
        {
            var frame = FrameDecoder.Decode(file, tile.Frame);
            for (var y = 0; y < frame.Height; y += size)
            {
                for (var x = 0; x < frame.Width; x += size)
                {
                    if (!TissueDetector.IsTissue(frame.Pixels, frame.Stride, x, y, size, model.Detector.Card.TissueDetection))
                    {
                        continue;
                    }

                    var patch = new byte[size * size * 3];
                    for (var row = 0; row < size; row++)
                    {
                        frame.Pixels.AsSpan((y + row) * frame.Stride + x * 3, size * 3).CopyTo(patch.AsSpan(row * size * 3));
                    }

                    var cell = (tile.Row - 1 + y) / size * columns + (tile.Column - 1 + x) / size;
                    grid[cell] = model.Detector.Score([new RgbFrame(size, size, patch)])[0];
                }
            }
        }

        return grid;
    }

    private static byte[] Fill(int size, byte r, byte g, byte b)
    {
        var pixels = new byte[size * size * 3];
        for (var i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = r;
            pixels[i + 1] = g;
            pixels[i + 2] = b;
        }

        return pixels;
    }

    /// <summary>The top <paramref name="tissueRows"/> rows stained, the rest glass.</summary>
    private static byte[] Edge(int size, int tissueRows)
    {
        var pixels = Fill(size, 250, 250, 250);
        Fill(size, 180, 100, 160).AsSpan(0, tissueRows * size * 3).CopyTo(pixels);
        return pixels;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
