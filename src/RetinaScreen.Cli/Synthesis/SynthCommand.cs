using System.Globalization;

namespace RetinaScreen.Cli.Synthesis;

/// <summary>
/// <c>retinascreen synth --out DIR --count N --seed S [--png] [--size PX] [--ungradable-fraction F] [--grade G]</c>:
/// synthetic camera photographs with ground truth (labels.csv): Ophthalmic Photography DICOM files (two eyes per
/// visit, JPEG baseline), or PNG pictures with <c>--png</c>.
/// </summary>
public static class SynthCommand
{
    public const string Usage =
        "usage: retinascreen synth --out DIR [--count N=100] [--seed S=1] [--png] [--size PX=768] [--ungradable-fraction F=0] [--grade 0-4]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Count > 0 && args[0] == "pathology")
        {
            return Pathology.PathologySynthCommand.Run(args.Skip(1).ToArray(), stdout, stderr);
        }

        string? output = null;
        var options = new SynthDatasetOptions { Format = SynthOutputFormat.Dicom };
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
                        options = options with { Count = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) };
                        break;
                    case "--seed":
                        options = options with { Seed = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) };
                        break;
                    case "--size":
                        options = options with { Size = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) };
                        break;
                    case "--ungradable-fraction":
                        options = options with { UngradableFraction = double.Parse(Value(args, ref i), CultureInfo.InvariantCulture) };
                        break;
                    case "--grade":
                        options = options with { Grade = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture) };
                        break;
                    case "--png":
                        options = options with { Format = SynthOutputFormat.Png };
                        break;
                    default:
                        throw new FormatException($"unknown option '{args[i]}'");
                }
            }

            if (output is null)
            {
                throw new FormatException("--out is required");
            }

            if (options.Count < 0 || options.Size < 64 || options.UngradableFraction is < 0 or > 1 || options.Grade is < 0 or > 4)
            {
                throw new FormatException("--count must be ≥ 0, --size ≥ 64, --ungradable-fraction within 0–1, --grade within 0–4");
            }
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"synth: {e.Message}");
            stderr.WriteLine(Usage);
            return 2;
        }

        var truths = SynthDataset.Write(output, options, stdout);
        stdout.WriteLine($"wrote {truths.Count} images and {SynthDataset.LabelsFileName} to {output} " +
            $"(referable {truths.Count(t => t.ReferableDr)}, ungradable {truths.Count(t => !t.Gradable)})");
        return 0;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new FormatException($"{args[i]} needs a value");
        }

        return args[++i];
    }
}
