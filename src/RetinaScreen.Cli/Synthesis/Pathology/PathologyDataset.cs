using System.Globalization;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>Options for a folder of synthetic pathology: whole slides or labelled patches.</summary>
public sealed record PathologyDatasetOptions
{
    /// <summary>Number of slides (with <c>--tiles</c>, the slides the patches are cut from).</summary>
    public int Count { get; init; } = 10;

    /// <summary>Slide i is generated with seed <c>Seed + i</c>; keep training, validation and test ranges apart.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Width and height of each slide in pixels.</summary>
    public int Size { get; init; } = 2048;

    /// <summary>Fraction of slides with tumour, spread evenly through the folder (0.5: every second slide).</summary>
    public double TumourFraction { get; init; } = 0.5;

    public int TileSize { get; init; } = 256;

    /// <summary>JPEG baseline frames (as most scanners store them); false writes native RGB.</summary>
    public bool Jpeg { get; init; } = true;

    /// <summary>With slides, also write each slide's pixels (as a reader decodes the DICOM file) as a PNG.</summary>
    public bool SlidePng { get; init; }

    /// <summary>Patches per slide with <c>--tiles</c>.</summary>
    public int PatchesPerSlide { get; init; } = 64;

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}

/// <summary>One row of a pathology <c>labels.csv</c>.</summary>
public sealed record PathologyLabel(string File, int Seed, bool Tumour, double TumourFraction, int X = 0, int Y = 0);

/// <summary>Writes synthetic whole slides (DICOM, masks, labels.csv) or labelled 64×64 PNG patches (labels.csv).</summary>
public static class PathologyDataset
{
    public const string LabelsFileName = "labels.csv";
    public const string SlideLabelsHeader = "file,seed,has_tumour,tumour_fraction,mask";
    public const string TileLabelsHeader = "file,label,slide_seed,x,y,tumour_fraction";

    /// <summary>Whether slide i of a folder has tumour: evenly spread, so any prefix holds about the right share.</summary>
    public static bool HasTumour(int index, double fraction) =>
        Math.Floor((index + 1) * fraction) > Math.Floor(index * fraction);

    public static string SlideFileName(int seed) => $"slide-{seed:D8}.dcm";

    public static IReadOnlyList<PathologyLabel> WriteSlides(string directory, PathologyDatasetOptions options, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(directory);
        var labels = new PathologyLabel[options.Count];
        ForEachSlide(options, progress, (i, seed, slide) =>
        {
            var name = SlideFileName(seed);
            WholeSlideWriter.Write(Path.Combine(directory, name), slide, seed, options.TileSize, options.Jpeg);
            SaveMask(slide, Path.Combine(directory, MaskFileName(seed)));
            if (options.SlidePng)
            {
                var stored = WholeSlideWriter.AsStored(slide, options.TileSize, options.Jpeg);
                SaveRgb(stored.Rgb, stored.Width, stored.Height, Path.Combine(directory, $"slide-{seed:D8}.png"));
            }

            labels[i] = new PathologyLabel(name, seed, slide.HasTumour, slide.TumourFraction);
        });

        var csv = new StringBuilder().Append(SlideLabelsHeader).Append('\n');
        foreach (var l in labels)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{l.File},{l.Seed},{Bit(l.Tumour)},{l.TumourFraction:0.######},{MaskFileName(l.Seed)}\n");
        }

        File.WriteAllText(Path.Combine(directory, LabelsFileName), csv.ToString());
        return labels;
    }

    public static IReadOnlyList<PathologyLabel> WriteTiles(string directory, PathologyDatasetOptions options, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(directory);
        var perSlide = new IReadOnlyList<PathologyLabel>[options.Count];
        ForEachSlide(options, progress, (i, seed, slide) =>
        {
            // Patches are cut from the slide as the DICOM file stores it, so training sees what inference decodes.
            var stored = WholeSlideWriter.AsStored(slide, options.TileSize, options.Jpeg);
            var patches = PatchSampler.Sample(stored, options.PatchesPerSlide, FundusSynthesizer.DeriveSeed(seed, 0x9A7C));
            var rows = new List<PathologyLabel>(patches.Count);
            for (var k = 0; k < patches.Count; k++)
            {
                var p = patches[k];
                var name = $"tile-{seed:D8}-{k:D3}.png";
                SaveRgb(p.Rgb, p.Size, p.Size, Path.Combine(directory, name));
                rows.Add(new PathologyLabel(name, seed, p.Tumour, p.TumourFraction, p.X, p.Y));
            }

            perSlide[i] = rows;
        });

        var labels = perSlide.SelectMany(r => r).ToList();
        var csv = new StringBuilder().Append(TileLabelsHeader).Append('\n');
        foreach (var l in labels)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{l.File},{Bit(l.Tumour)},{l.Seed},{l.X},{l.Y},{l.TumourFraction:0.####}\n");
        }

        File.WriteAllText(Path.Combine(directory, LabelsFileName), csv.ToString());
        return labels;
    }

    private static void ForEachSlide(PathologyDatasetOptions options, TextWriter? progress, Action<int, int, SyntheticSlide> write)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Count, nameof(options));
        var done = 0;
        // Each slide depends only on its own seed and index, so parallel generation stays deterministic.
        Parallel.For(0, options.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) }, i =>
        {
            var seed = checked(options.Seed + i);
            var spec = new SlideSpec { Width = options.Size, Height = options.Size, Tumour = HasTumour(i, options.TumourFraction) };
            write(i, seed, SlideSynthesizer.Generate(seed, spec));
            var n = Interlocked.Increment(ref done);
            if (progress is not null && n % 50 == 0)
            {
                lock (progress)
                {
                    progress.WriteLine($"{n}/{options.Count}");
                }
            }
        });
    }

    private static string MaskFileName(int seed) => $"slide-{seed:D8}-mask.png";

    private static void SaveMask(SyntheticSlide slide, string path)
    {
        var grey = new byte[slide.TumourMask.Length];
        for (var i = 0; i < grey.Length; i++)
        {
            grey[i] = slide.TumourMask[i] == 0 ? (byte)0 : (byte)255;
        }

        using var image = Image.LoadPixelData<L8>(grey, slide.Width, slide.Height);
        image.SaveAsPng(path);
    }

    private static void SaveRgb(byte[] rgb, int width, int height, string path)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        image.SaveAsPng(path);
    }

    private static int Bit(bool value) => value ? 1 : 0;
}
