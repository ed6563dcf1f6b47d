using System.Globalization;

namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>
/// <c>retinascreen synth pathology --out DIR [--count N] [--seed S] [--slides | --tiles] [--size PX]</c>: synthetic
/// H&amp;E lymph node sections as VL Whole Slide Microscopy DICOM files with tumour masks, or labelled 64×64 patches.
/// </summary>
public static class PathologySynthCommand
{
    public const string Usage =
        "usage: retinascreen synth pathology --out DIR [--count N=10] [--seed S=1] [--slides | --tiles] [--size PX=2048] " +
        "[--tumour-fraction F=0.5] [--tile-size PX=256] [--native] [--png] [--patches-per-slide N=64]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? output = null;
        var tiles = false;
        var options = new PathologyDatasetOptions();
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                switch (args[i])
                {
                    case "--out":
                        output = Value(args, ref i);
                        break;
                    case "--count":
                        options = options with { Count = Int(args, ref i) };
                        break;
                    case "--seed":
                        options = options with { Seed = Int(args, ref i) };
                        break;
                    case "--size":
                        options = options with { Size = Int(args, ref i) };
                        break;
                    case "--tile-size":
                        options = options with { TileSize = Int(args, ref i) };
                        break;
                    case "--patches-per-slide":
                        options = options with { PatchesPerSlide = Int(args, ref i) };
                        break;
                    case "--tumour-fraction":
                        options = options with { TumourFraction = double.Parse(Value(args, ref i), CultureInfo.InvariantCulture) };
                        break;
                    case "--slides":
                        tiles = false;
                        break;
                    case "--tiles":
                        tiles = true;
                        break;
                    case "--native":
                        options = options with { Jpeg = false };
                        break;
                    case "--png":
                        options = options with { SlidePng = true };
                        break;
                    default:
                        throw new FormatException($"unknown option '{args[i]}'");
                }
            }

            if (output is null)
            {
                throw new FormatException("--out is required");
            }

            if (options.Count < 0 || options.Size < 64 || options.TileSize is < 16 or > 4096 || options.PatchesPerSlide < 0 || options.TumourFraction is < 0 or > 1)
            {
                throw new FormatException("--count must be ≥ 0, --size ≥ 64, --tile-size within 16–4096, --patches-per-slide ≥ 0, --tumour-fraction within 0–1");
            }
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"synth pathology: {e.Message}");
            stderr.WriteLine(Usage);
            return 2;
        }

        if (tiles)
        {
            var patches = PathologyDataset.WriteTiles(output, options, stdout);
            stdout.WriteLine($"wrote {patches.Count} patches from {options.Count} slides and {PathologyDataset.LabelsFileName} to {output} (tumour {patches.Count(p => p.Tumour)})");
        }
        else
        {
            var slides = PathologyDataset.WriteSlides(output, options, stdout);
            stdout.WriteLine($"wrote {slides.Count} whole slides and {PathologyDataset.LabelsFileName} to {output} (with tumour {slides.Count(s => s.Tumour)})");
        }

        return 0;
    }

    private static int Int(IReadOnlyList<string> args, ref int i) => int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new FormatException($"{args[i]} needs a value");
        }

        return args[++i];
    }
}
