using System.Globalization;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Grading;

// synth-export --out DIR --count N --seed S [--size PX] [--ungradable-fraction F] [--full]
// Writes the model's 256×256 field crops (FundusPreprocessor.Crop) by default, full frames with --full.
string? output = null;
var options = new SynthDatasetOptions { Transform = frame => FundusPreprocessor.Crop(frame) };
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out": output = args[++i]; break;
        case "--count": options = options with { Count = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--seed": options = options with { Seed = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--size": options = options with { Size = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--ungradable-fraction": options = options with { UngradableFraction = double.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--full": options = options with { Transform = null }; break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}");
            return 2;
    }
}

if (output is null)
{
    Console.Error.WriteLine("usage: synth-export --out DIR --count N --seed S [--size PX] [--ungradable-fraction F] [--full]");
    return 2;
}

var truths = SynthDataset.Write(output, options, Console.Out);
Console.WriteLine($"wrote {truths.Count} images to {output}");
return 0;
