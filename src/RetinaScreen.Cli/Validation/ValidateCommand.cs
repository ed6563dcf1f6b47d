using System.Globalization;
using System.Text;
using System.Text.Json;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Quality;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Cli.Validation;

/// <summary>
/// <c>retinascreen validate --model CARD --data DIR [--json OUT] [--candidate CARD] [--gradability CARD|rules]</c>:
/// measures a DR model (and the gradability check) on a labelled folder (labels.csv as written by <c>synth</c>) the way
/// Gulshan et al. (JAMA 2016) reported theirs: AUC with a 95 % CI, sensitivity and specificity with 95 % CIs at each
/// operating point, and for the five ICDR grades the quadratic-weighted kappa and confusion matrix. Given a metastasis
/// model's card it measures slides instead (<see cref="SlideValidation"/>).
/// </summary>
public static class ValidateCommand
{
    public const string Usage =
        "usage: retinascreen validate --model CARD --data DIR [--json OUT] [--candidate CARD] [--gradability CARD|rules]";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? model = null, data = null, json = null, candidate = null;
        var gradability = FundusGradingOptions.DefaultGradabilityModelCard;
        for (var i = 0; i < args.Count; i++)
        {
            if (i + 1 >= args.Count)
            {
                stderr.WriteLine(Usage);
                return 2;
            }

            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--data": data = args[++i]; break;
                case "--json": json = args[++i]; break;
                case "--candidate": candidate = args[++i]; break;
                case "--gradability": gradability = args[++i]; break;
                default:
                    stderr.WriteLine($"validate: unknown option {args[i]}");
                    stderr.WriteLine(Usage);
                    return 2;
            }
        }

        if (model is null || data is null)
        {
            stderr.WriteLine(Usage);
            return 2;
        }

        var labelsPath = Path.Combine(data, "labels.csv");
        if (!File.Exists(labelsPath))
        {
            stderr.WriteLine($"validate: {labelsPath} not found (write a labelled set with 'retinascreen synth').");
            return 2;
        }

        try
        {
            // A metastasis card (it has a slide aggregation rule) is measured per slide on a folder of whole slides.
            if (Inference.Pathology.MetastasisModelCard.IsMetastasisCard(FundusGradingOptions.Resolve(model)))
            {
                var slides = SlideValidation.Validate(model, data);
                stdout.Write(SlideValidation.FormatTable(slides));
                if (json is not null)
                {
                    File.WriteAllText(json, JsonSerializer.Serialize(slides, JsonOptions) + "\n");
                    stdout.WriteLine($"wrote {json}");
                }

                return 0;
            }

            var report = Validate(model, data, candidate, gradability);
            stdout.Write(FormatTable(report));
            if (json is not null)
            {
                File.WriteAllText(json, JsonSerializer.Serialize(report, JsonOptions) + "\n");
                stdout.WriteLine($"wrote {json}");
            }

            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or Inference.Models.ModelIntegrityException or FormatException
            or JsonException or RetinaScreen.Dicom.Imaging.DicomImagingException or RetinaScreen.Dicom.DicomFormatException)
        {
            stderr.WriteLine($"validate: {e.Message}");
            return 1;
        }
    }

    public static ValidationReport Validate(string modelCard, string data, string? candidateCard = null, string? gradabilityCard = FundusGradingOptions.DefaultGradabilityModelCard)
    {
        var rows = ReadLabels(Path.Combine(data, "labels.csv"));
        var options = new FundusGradingOptions { MaxBatch = 16 };
        var classifier = string.IsNullOrWhiteSpace(gradabilityCard) || gradabilityCard == "rules"
            ? null
            : new GradabilityClassifier(FundusGradingOptions.Resolve(gradabilityCard));
        var assessor = new GradabilityAssessor(GradabilityThresholds.Default, classifier);
        using var grader = new DrGrader(FundusGradingOptions.Resolve(modelCard), options);
        using var candidate = candidateCard is null ? null : new DrGrader(FundusGradingOptions.Resolve(candidateCard), options);

        var refused = new bool[rows.Count];
        var gradable = new List<(LabelRow Row, RgbFrame Frame)>();
        var production = new List<DrGrading>();
        var shadow = new List<DrGrading>();
        // Chunks keep memory flat on a large set; each chunk is one batch per model.
        const int Chunk = 32;
        for (var start = 0; start < rows.Count; start += Chunk)
        {
            var frames = rows.Skip(start).Take(Chunk).AsParallel().AsOrdered().Select(r => Load(Path.Combine(data, r.File))).ToArray();
            var chunkGradable = new List<RgbFrame>();
            for (var i = 0; i < frames.Length; i++)
            {
                refused[start + i] = !assessor.Assess(frames[i]).Gradable;
                if (rows[start + i].Gradable)
                {
                    chunkGradable.Add(frames[i]);
                    gradable.Add((rows[start + i], frames[i]));
                }
            }

            production.AddRange(grader.GradeBatch(chunkGradable));
            if (candidate is not null)
            {
                shadow.AddRange(candidate.GradeBatch(chunkGradable));
            }
        }

        var ungradable = rows.Count(r => !r.Gradable);
        var caught = rows.Where((r, i) => !r.Gradable && refused[i]).Count();
        var passed = rows.Where((r, i) => r.Gradable && !refused[i]).Count();
        var gradabilityReport = new GradabilityReport(
            classifier is null ? "rules" : $"{classifier.Card.Name} {classifier.Card.Version} (FastTree, threshold {classifier.Card.UngradableThreshold:0.####})",
            ungradable, rows.Count - ungradable,
            ToInterval(ClassificationStatistics.Wilson(caught, ungradable)),
            ToInterval(ClassificationStatistics.Wilson(passed, rows.Count - ungradable)));

        var truth = gradable.Select(g => g.Row).ToList();
        var productionReport = Report(grader, truth, production);
        var candidateReport = candidate is null ? null : Report(candidate, truth, shadow);
        CandidateComparison? comparison = null;
        if (candidateReport is not null)
        {
            var n = Math.Max(1, production.Count);
            comparison = new CandidateComparison(
                production.Zip(shadow).Count(p => p.First.ReferableDr == p.Second.ReferableDr) / (double)n,
                production.Zip(shadow).Count(p => p.First.Grade == p.Second.Grade) / (double)n,
                candidateReport.ReferableDr.Auc.Value - productionReport.ReferableDr.Auc.Value);
        }

        return new ValidationReport(Path.GetFullPath(data), rows.Count, gradabilityReport, productionReport, candidateReport, comparison);
    }

    private static ModelReport Report(DrGrader grader, List<LabelRow> truth, List<DrGrading> results)
    {
        var confusion = new int[5, 5];
        for (var i = 0; i < truth.Count; i++)
        {
            confusion[truth[i].Grade, results[i].Grade]++;
        }

        var points = grader.Card.OperatingPoints;
        return new ModelReport(
            grader.Card.Name,
            grader.Card.Version,
            grader.Model.Sha256,
            truth.Count,
            "DeLong",
            Binary([.. results.Select(r => r.ReferableDrScore)], [.. truth.Select(t => t.ReferableDr)], "referableDr", points.ReferableDr.Threshold),
            Binary([.. results.Select(r => r.ReferableDmeScore)], [.. truth.Select(t => t.Dme)], "referableDme", points.ReferableDme.Threshold),
            ClassificationStatistics.QuadraticKappa(confusion),
            truth.Count == 0 ? double.NaN : truth.Where((t, i) => t.Grade == results[i].Grade).Count() / (double)truth.Count,
            [.. Enumerable.Range(0, 5).Select(t => Enumerable.Range(0, 5).Select(p => confusion[t, p]).ToArray())]);
    }

    private static BinaryReport Binary(double[] scores, bool[] labels, string pointName, double threshold)
    {
        var positives = labels.Count(l => l);
        var negatives = labels.Length - positives;
        var truePositives = scores.Where((s, i) => labels[i] && s >= threshold).Count();
        var trueNegatives = scores.Where((s, i) => !labels[i] && s < threshold).Count();
        return new BinaryReport(positives, negatives, ToInterval(ClassificationStatistics.AucDeLong(scores, labels)),
        [
            new OperatingPointReport(pointName, threshold,
                ToInterval(ClassificationStatistics.Wilson(truePositives, positives)),
                ToInterval(ClassificationStatistics.Wilson(trueNegatives, negatives))),
        ]);
    }

    /// <summary>The report as a table in the style of Gulshan et al. 2016 (Table 2): AUC, then sensitivity and specificity
    /// with 95 % confidence intervals at each operating point.</summary>
    public static string FormatTable(ValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"Validation on {report.Data}: {report.Images} images");
        s.AppendLine();
        var g = report.Gradability;
        s.AppendLine(CultureInfo.InvariantCulture, $"Gradability ({g.Method}): {g.Ungradable} ungradable, {g.Gradable} gradable");
        s.AppendLine(CultureInfo.InvariantCulture, $"  Sensitivity for ungradable  {Percent(g.UngradableSensitivity)}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  Specificity (gradable kept) {Percent(g.GradableSpecificity)}");
        AppendModel(s, report.Model, "Model");
        if (report.Candidate is { } candidate && report.Comparison is { } comparison)
        {
            AppendModel(s, candidate, "Candidate (shadow)");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture,
                $"Candidate vs model: referable-DR agreement {comparison.ReferableDrAgreement:P1}, grade agreement {comparison.GradeAgreement:P1}, AUC difference {comparison.ReferableDrAucDifference:+0.000;-0.000;0.000}");
        }

        s.AppendLine();
        s.AppendLine("95% CIs: AUC by DeLong's method; sensitivity and specificity by Wilson's score interval. Synthetic data says nothing about real patients.");
        return s.ToString();
    }

    private static void AppendModel(StringBuilder s, ModelReport m, string title)
    {
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"{title}: {m.Name} {m.Version} (SHA-256 {m.Sha256[..12]}…), {m.Images} gradable images");
        s.AppendLine(CultureInfo.InvariantCulture, $"  {"",-34}{"AUC (95% CI)",-24}{"Sensitivity, % (95% CI)",-26}{"Specificity, % (95% CI)"}");
        foreach (var (name, b) in new[] { ("Referable DR", m.ReferableDr), ("Referable DME", m.ReferableDme) })
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"  {$"{name} ({b.Positives}+/{b.Negatives}-)",-34}{Auc(b.Auc),-24}");
            foreach (var p in b.OperatingPoints)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"  {$"  operating point {p.Threshold:0.####}",-34}{"",-24}{Percent(p.Sensitivity),-26}{Percent(p.Specificity)}");
            }
        }

        s.AppendLine(CultureInfo.InvariantCulture, $"  ICDR grade: quadratic-weighted kappa {m.GradeQuadraticKappa:0.000}, accuracy {m.GradeAccuracy:P1}");
        s.AppendLine("  Confusion (rows: truth 0-4, columns: predicted 0-4)");
        for (var t = 0; t < 5; t++)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"    {t}: {string.Join(" ", m.GradeConfusion[t].Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(5)))}");
        }
    }

    private static string Auc(Interval i) => string.Create(CultureInfo.InvariantCulture, $"{i.Value:0.000} ({i.Lower:0.000}-{i.Upper:0.000})");

    private static string Percent(Interval i) => string.Create(CultureInfo.InvariantCulture, $"{100 * i.Value:0.0} ({100 * i.Lower:0.0}-{100 * i.Upper:0.0})");

    private static Interval ToInterval((double Value, double Lower, double Upper) t) => new(t.Value, t.Lower, t.Upper);

    private static RgbFrame Load(string path)
    {
        if (path.EndsWith(".dcm", StringComparison.OrdinalIgnoreCase))
        {
            return FundusPhotographGrader.Decode(path);
        }

        using var image = Image.Load<Rgb24>(path);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbFrame(image.Width, image.Height, pixels);
    }

    private sealed record LabelRow(string File, int Grade, bool ReferableDr, bool Dme, bool Gradable);

    private static List<LabelRow> ReadLabels(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidDataException($"{path} has no '{name}' column.");
        int file = Column("file"), grade = Column("grade"), referable = Column("referable_dr"), dme = Column("dme"), gradable = Column("gradable");
        return
        [
            .. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).Select(c => new LabelRow(
                c[file], int.Parse(c[grade], CultureInfo.InvariantCulture), c[referable] == "1", c[dme] == "1", c[gradable] == "1")),
        ];
    }
}
