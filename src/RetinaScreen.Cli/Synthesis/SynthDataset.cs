using System.Globalization;
using System.Text;
using RetinaScreen.Dicom.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Cli.Synthesis;

/// <summary>Options for a folder of synthetic photographs.</summary>
public sealed record SynthDatasetOptions
{
    public int Count { get; init; } = 100;

    /// <summary>Image i is generated with seed <c>Seed + i</c>; keep training, validation and test ranges apart.</summary>
    public int Seed { get; init; } = 1;

    public double UngradableFraction { get; init; }

    public int Size { get; init; } = 768;

    /// <summary>Fixes every image's grade; null draws grades from the default weights.</summary>
    public int? Grade { get; init; }

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Turns each generated frame into the frame that is written (e.g. the model's 256-pixel crop); null writes it as generated.</summary>
    public Func<RgbFrame, RgbFrame>? Transform { get; init; }

    /// <summary>
    /// DICOM writes Ophthalmic Photography objects as a camera would send them, two eyes per visit; PNG writes the
    /// bare pictures (for training).
    /// </summary>
    public SynthOutputFormat Format { get; init; } = SynthOutputFormat.Png;
}

public enum SynthOutputFormat
{
    Png,
    Dicom,
}

/// <summary>Writes N synthetic photographs (PNG or DICOM) with a <c>labels.csv</c> of their ground truth.</summary>
public static class SynthDataset
{
    public const string LabelsFileName = "labels.csv";
    public const string LabelsHeader = "file,seed,grade,referable_dr,dme,gradable,defect,laterality";

    public static IReadOnlyList<FundusTruth> Write(string directory, SynthDatasetOptions options, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Count, nameof(options));
        Directory.CreateDirectory(directory);
        var spec = FundusSpec.Default with { Size = options.Size, UngradableFraction = options.UngradableFraction, Grade = options.Grade };
        var truths = new FundusTruth[options.Count];
        var uids = new (string Study, string Sop)[options.Count];
        var done = 0;
        // Each image depends only on its own seed, so parallel generation stays deterministic.
        Parallel.For(0, options.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxDegreeOfParallelism) }, i =>
        {
            var seed = checked(options.Seed + i);
            if (options.Format == SynthOutputFormat.Dicom)
            {
                // Images 2k and 2k+1 are the right and left eye of one visit (one study), like a screening camera's.
                var visit = SyntheticVisit.Create(checked(options.Seed + (i & ~1)));
                var image = FundusSynthesizer.Generate(seed, spec with { Laterality = (i & 1) == 0 ? "R" : "L" });
                var sopInstanceUid = SyntheticVisit.Uid(seed, "sop");
                OphthalmicPhotographWriter.Create(image, visit, (i & 1) + 1, sopInstanceUid).Save(Path.Combine(directory, FileName(seed, options.Format)));
                truths[i] = image.Truth;
                uids[i] = (visit.StudyInstanceUid, sopInstanceUid);
            }
            else
            {
                var (frame, truth) = FundusSynthesizer.Generate(seed, spec);
                SavePng(options.Transform?.Invoke(frame) ?? frame, Path.Combine(directory, FileName(seed)));
                truths[i] = truth;
            }

            var n = Interlocked.Increment(ref done);
            if (progress is not null && n % 500 == 0)
            {
                lock (progress)
                {
                    progress.WriteLine($"{n}/{options.Count}");
                }
            }
        });

        var dicom = options.Format == SynthOutputFormat.Dicom;
        var csv = new StringBuilder().Append(LabelsHeader).Append(dicom ? ",study_instance_uid,sop_instance_uid" : "").Append('\n');
        for (var i = 0; i < truths.Length; i++)
        {
            var t = truths[i];
            csv.Append(CultureInfo.InvariantCulture, $"{FileName(t.Seed, options.Format)},{t.Seed},{t.IcdrGrade},{Bit(t.ReferableDr)},{Bit(t.Dme)},{Bit(t.Gradable)},{t.Defect},{t.Laterality}");
            csv.Append(dicom ? $",{uids[i].Study},{uids[i].Sop}\n" : "\n");
        }

        File.WriteAllText(Path.Combine(directory, LabelsFileName), csv.ToString());
        return truths;
    }

    public static string FileName(int seed, SynthOutputFormat format = SynthOutputFormat.Png) =>
        format == SynthOutputFormat.Dicom ? $"synth-{seed:D8}.dcm" : $"synth-{seed:D8}.png";

    public static void SavePng(RgbFrame frame, string path)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var image = Image.LoadPixelData<Rgb24>(frame.Pixels, frame.Width, frame.Height);
        image.SaveAsPng(path);
    }

    private static int Bit(bool value) => value ? 1 : 0;
}
