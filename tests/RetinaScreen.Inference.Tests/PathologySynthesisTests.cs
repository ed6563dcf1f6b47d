using System.Diagnostics;
using System.Globalization;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using Xunit.Abstractions;

namespace RetinaScreen.Inference.Tests;

/// <summary>Synthetic H&amp;E lymph node slides: deterministic, truthful masks, and valid whole slide DICOM files.</summary>
public sealed class PathologySynthesisTests(ITestOutputHelper output)
{
    private const int Seed = TestImages.SeedBase + 60_000;
    private static readonly SlideSpec Small = new() { Width = 600, Height = 520 };

    [Fact]
    public void REQ_AI_01_same_seed_gives_the_same_slide_and_mask_and_another_seed_another()
    {
        var a = SlideSynthesizer.Generate(Seed, Small with { Tumour = true });
        var b = SlideSynthesizer.Generate(Seed, Small with { Tumour = true });
        var c = SlideSynthesizer.Generate(Seed + 1, Small with { Tumour = true });

        Assert.Equal(a.Rgb, b.Rgb);
        Assert.Equal(a.TumourMask, b.TumourMask);
        var differing = a.Rgb.Zip(c.Rgb).Count(p => p.First != p.Second);
        Assert.True(differing > a.Rgb.Length / 4, $"only {differing} bytes differ between seeds");
    }

    [Fact]
    public void REQ_AI_01_the_tumour_mask_is_non_empty_exactly_when_the_slide_has_tumour()
    {
        for (var seed = Seed + 10; seed < Seed + 14; seed++)
        {
            var tumour = SlideSynthesizer.Generate(seed, Small with { Tumour = true });
            var normal = SlideSynthesizer.Generate(seed, Small with { Tumour = false });

            Assert.True(tumour.HasTumour);
            Assert.InRange(tumour.TumourFraction, 1e-5, 0.5);
            Assert.Contains(tumour.TumourMask, m => m == 1);
            Assert.All(tumour.TumourMask, m => Assert.True(m <= 1));
            Assert.False(normal.HasTumour);
            Assert.Equal(0, normal.TumourFraction);
            Assert.DoesNotContain(normal.TumourMask, m => m != 0);
        }
    }

    [Fact]
    public void REQ_AI_01_tumour_looks_different_darker_nuclei_where_the_mask_says()
    {
        // Hyperchromatic crowded nuclei: tumour pixels are on average darker than the node's other tissue.
        var slide = SlideSynthesizer.Generate(Seed + 20, SlideSpec.Default with { Width = 1024, Height = 1024, Tumour = true, TumourRegionCount = 2 });
        double tumourSum = 0, otherSum = 0;
        long tumourCount = 0, otherCount = 0;
        for (var i = 0; i < slide.TumourMask.Length; i++)
        {
            var (r, g, b) = (slide.Rgb[i * 3], slide.Rgb[i * 3 + 1], slide.Rgb[i * 3 + 2]);
            if (slide.TumourMask[i] == 1)
            {
                tumourSum += r + g + b;
                tumourCount++;
            }
            else if (!TissueRule.IsGlass(r, g, b))
            {
                otherSum += r + g + b;
                otherCount++;
            }
        }

        Assert.True(tumourSum / tumourCount < otherSum / otherCount - 15, $"tumour {tumourSum / tumourCount:0} vs tissue {otherSum / otherCount:0}");
    }

    [Fact]
    public void REQ_AI_01_sampled_patches_carry_labels_that_agree_with_the_mask()
    {
        var slide = SlideSynthesizer.Generate(Seed + 30, SlideSpec.Default with { Width = 1024, Height = 1024, Tumour = true, TumourRegionCount = 3 });
        var patches = PatchSampler.Sample(slide, 40, seed: 7);

        Assert.Equal(40, patches.Count);
        Assert.Equal(20, patches.Count(p => p.Tumour));
        foreach (var p in patches)
        {
            Assert.Equal(PatchSampler.Crop(slide, p.X, p.Y, 64), p.Rgb);
            Assert.True(TissueRule.IsTissue(slide.Rgb, slide.Width, p.X, p.Y, 64));
            var (whole, centre) = PatchSampler.TumourCover(slide, p.X, p.Y, 64);
            Assert.Equal(p.Tumour, centre >= 0.5);
            Assert.True(p.Tumour || whole == 0, "a normal patch holds no tumour at all");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void REQ_DCM_10_a_written_whole_slide_reads_back_tile_by_tile(bool jpeg)
    {
        var slide = SlideSynthesizer.Generate(Seed + 40, Small with { Tumour = true });
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "slide.dcm");
        WholeSlideWriter.Write(path, slide, Seed + 40, tileSize: 256, jpeg: jpeg);

        var file = DicomFile.Open(path);
        var d = file.Dataset;
        Assert.Equal(DicomUids.VlWholeSlideMicroscopyImage, d.GetString(DicomTag.SopClassUid));
        Assert.Equal(jpeg ? DicomUids.JpegBaseline : DicomUids.ExplicitVrLittleEndian, file.TransferSyntaxUid);
        var map = WholeSlideTileMap.From(d);
        Assert.Equal("TILED_FULL", map.Organization);
        Assert.Equal((600, 520, 256, 256), (map.TotalColumns, map.TotalRows, map.TileColumns, map.TileRows));
        Assert.Equal(9, map.Tiles.Count);
        Assert.Equal(9, FrameDecoder.GetFrameCount(d));
        Assert.Equal(new WholeSlideTile(5, 513, 257, 0, 0), map.Tiles[5]);

        foreach (var tile in map.Tiles)
        {
            var decoded = FrameDecoder.Decode(file, tile.Frame);
            var expected = WholeSlideWriter.Tile(slide, tile.Column - 1, tile.Row - 1, 256);
            Assert.Equal((256, 256), (decoded.Width, decoded.Height));
            if (jpeg)
            {
                // Quality 90 with 4:2:0 chroma: dense nuclear texture costs a few levels per pixel on average.
                var meanError = decoded.Pixels.Zip(expected.Pixels).Average(p => Math.Abs(p.First - p.Second));
                Assert.True(meanError < 8, string.Create(CultureInfo.InvariantCulture, $"frame {tile.Frame}: mean error {meanError:0.00}"));
            }
            else
            {
                Assert.Equal(expected.Pixels, decoded.Pixels);
            }
        }

        // The pixels training and the card's metrics use are those a reader decodes.
        var stored = WholeSlideWriter.AsStored(slide, 256, jpeg);
        var frame4 = FrameDecoder.Decode(file, 4);
        var meanStoredError = frame4.Pixels.Zip(WholeSlideWriter.Tile(stored, 256, 256, 256).Pixels).Average(p => Math.Abs(p.First - p.Second));
        Assert.True(meanStoredError < 0.5, string.Create(CultureInfo.InvariantCulture, $"stored pixels differ from decoded by {meanStoredError:0.000}"));
    }

    [Fact]
    public void REQ_AI_01_the_same_seed_writes_a_byte_identical_whole_slide_file()
    {
        using var temp = new TempDirectory();
        var a = Path.Combine(temp.Path, "a.dcm");
        var b = Path.Combine(temp.Path, "b.dcm");
        WholeSlideWriter.Write(a, SlideSynthesizer.Generate(Seed + 50, Small), Seed + 50);
        WholeSlideWriter.Write(b, SlideSynthesizer.Generate(Seed + 50, Small), Seed + 50);

        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(SyntheticVisitUid(Seed + 50), DicomFile.Open(a).Dataset.GetString(DicomTag.SopInstanceUid));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void REQ_DCM_10_synthetic_whole_slides_validate_with_dciodvfy(bool jpeg)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "slide.dcm");
        WholeSlideWriter.Write(path, SlideSynthesizer.Generate(Seed + 60, Small with { Tumour = true }), Seed + 60, jpeg: jpeg);

        var report = Dciodvfy(path);
        output.WriteLine(report);
        Assert.Contains("VLWholeSlideMicroscopyImage", report, StringComparison.Ordinal);
        var errors = report.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void REQ_AI_01_synth_pathology_writes_slides_and_tiles_with_labels()
    {
        using var temp = new TempDirectory();
        var slides = Path.Combine(temp.Path, "slides");
        var tiles = Path.Combine(temp.Path, "tiles");
        var log = new StringWriter();

        Assert.Equal(0, Cli.Synthesis.SynthCommand.Run(["pathology", "--out", slides, "--count", "2", "--seed", (Seed + 70).ToString(CultureInfo.InvariantCulture), "--slides", "--size", "512"], log, log));
        Assert.Equal(0, Cli.Synthesis.SynthCommand.Run(["pathology", "--out", tiles, "--count", "2", "--seed", (Seed + 70).ToString(CultureInfo.InvariantCulture), "--tiles", "--size", "1024", "--patches-per-slide", "6"], log, log));
        Assert.Equal(2, Cli.Synthesis.SynthCommand.Run(["pathology", "--count", "2"], log, log));

        var slideRows = File.ReadAllLines(Path.Combine(slides, "labels.csv"));
        Assert.Equal(PathologyDataset.SlideLabelsHeader, slideRows[0]);
        Assert.Equal(3, slideRows.Length);
        Assert.StartsWith($"slide-{Seed + 70:D8}.dcm,{Seed + 70},0,0,", slideRows[1], StringComparison.Ordinal);
        Assert.StartsWith($"slide-{Seed + 71:D8}.dcm,{Seed + 71},1,", slideRows[2], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(slides, $"slide-{Seed + 71:D8}-mask.png")));

        var tileRows = File.ReadAllLines(Path.Combine(tiles, "labels.csv"));
        Assert.Equal(PathologyDataset.TileLabelsHeader, tileRows[0]);
        Assert.True(tileRows.Length > 6, $"{tileRows.Length - 1} patches");
        Assert.All(tileRows.Skip(1), row => Assert.True(File.Exists(Path.Combine(tiles, row.Split(',')[0]))));
        Assert.Contains(tileRows.Skip(1), row => row.Split(',')[1] == "1");
    }

    private static string SyntheticVisitUid(int seed) => Cli.Synthesis.SyntheticVisit.Uid(seed, "slide-sop");

    private static string Dciodvfy(string path)
    {
        var start = new ProcessStartInfo(Locate("dciodvfy")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "dciodvfy did not finish within 60 s");
        return stdout.Result + stderr.Result;
    }

    private static string Locate(string tool)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"{tool} is not installed (apt-get install dicom3tools)");
        return found;
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("pathology-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
