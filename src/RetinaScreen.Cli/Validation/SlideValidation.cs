using System.Globalization;
using System.Text;
using RetinaScreen.Inference.Pathology;

namespace RetinaScreen.Cli.Validation;

/// <summary>
/// <c>retinascreen validate --model METASTASIS-CARD --data DIR</c>: measures a metastasis model on a folder of whole-slide
/// images (labels.csv with file, seed, has_tumour, tumour_fraction, as <c>synth pathology</c> writes it) the way Gulshan
/// et al. (JAMA 2016) reported theirs: slide-level AUC with a 95 % CI (DeLong), and sensitivity and specificity with
/// 95 % CIs (Wilson) at the card's slide operating point. Each slide goes through the same analyzer the worker runs.
/// </summary>
public static class SlideValidation
{
    public static SlideValidationReport Validate(string modelCard, string data, int maxBatch = 64)
    {
        var rows = ReadLabels(Path.Combine(data, "labels.csv"));
        var options = new PathologyOptions { MaxBatch = maxBatch };
        using var detector = new MetastasisDetector(PathologyOptions.Resolve(modelCard), options);
        var analyzer = new SlideAnalyzer(detector, options);
        var slides = new List<SlideValidationRow>(rows.Count);
        foreach (var row in rows)
        {
            var result = analyzer.AnalyzeFileAsync(Path.Combine(data, row.File), null, CancellationToken.None).GetAwaiter().GetResult();
            slides.Add(new SlideValidationRow(row.File, row.HasTumour, row.TumourFraction, result.Probability, result.Positive, result.TissuePatches, result.TilesTotal));
        }

        var scores = slides.Select(s => s.Probability).ToArray();
        var labels = slides.Select(s => s.HasTumour).ToArray();
        var slidePoint = detector.Card.OperatingPoints.Slide;
        var positives = labels.Count(l => l);
        var truePositives = slides.Count(s => s.HasTumour && s.Positive);
        var trueNegatives = slides.Count(s => !s.HasTumour && !s.Positive);
        return new SlideValidationReport(
            Path.GetFullPath(data),
            slides.Count,
            detector.Card.Name,
            detector.Card.Version,
            detector.Sha256,
            $"{detector.Card.SlideAggregation.Method} (k {detector.Card.SlideAggregation.K})",
            new BinaryReport(positives, slides.Count - positives, ToInterval(ClassificationStatistics.AucDeLong(scores, labels)),
            [
                new OperatingPointReport("slide", slidePoint.Threshold,
                    ToInterval(ClassificationStatistics.Wilson(truePositives, positives)),
                    ToInterval(ClassificationStatistics.Wilson(trueNegatives, slides.Count - positives))),
            ]),
            slides);
    }

    /// <summary>The report as a table in the style of Gulshan et al. 2016 (Table 2).</summary>
    public static string FormatTable(SlideValidationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = new StringBuilder();
        var b = report.Metastasis;
        s.AppendLine(CultureInfo.InvariantCulture, $"Validation on {report.Data}: {report.Slides} whole slides");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"Model: {report.Name} {report.Version} (SHA-256 {report.Sha256[..12]}…), slide score {report.Aggregation}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  {"",-34}{"AUC (95% CI)",-24}{"Sensitivity, % (95% CI)",-26}{"Specificity, % (95% CI)"}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  {$"Metastasis, slide ({b.Positives}+/{b.Negatives}-)",-34}{Format(b.Auc, 1, "0.000"),-24}");
        foreach (var p in b.OperatingPoints)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"  {$"  operating point {p.Threshold:0.####}",-34}{"",-24}{Format(p.Sensitivity, 100, "0.0"),-26}{Format(p.Specificity, 100, "0.0")}");
        }

        s.AppendLine();
        s.AppendLine("95% CIs: AUC by DeLong's method; sensitivity and specificity by Wilson's score interval. Synthetic data says nothing about real patients.");
        return s.ToString();
    }

    private static string Format(Interval i, double scale, string format) => string.Create(CultureInfo.InvariantCulture,
        $"{(i.Value * scale).ToString(format, CultureInfo.InvariantCulture)} ({(i.Lower * scale).ToString(format, CultureInfo.InvariantCulture)}-{(i.Upper * scale).ToString(format, CultureInfo.InvariantCulture)})");

    private static Interval ToInterval((double Value, double Lower, double Upper) t) => new(t.Value, t.Lower, t.Upper);

    private sealed record LabelRow(string File, bool HasTumour, double TumourFraction);

    private static List<LabelRow> ReadLabels(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path} is empty.");
        }

        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidDataException($"{path} has no '{name}' column.");
        int file = Column("file"), tumour = Column("has_tumour"), fraction = Column("tumour_fraction");
        return
        [
            .. lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).Select(c => new LabelRow(
                c[file],
                c[tumour] is "1" or "true" or "True",
                double.Parse(c[fraction], NumberStyles.Float, CultureInfo.InvariantCulture))),
        ];
    }

    /// <summary>Whether a labels.csv describes slides (has a has_tumour column) rather than fundus photographs.</summary>
    public static bool IsSlideLabels(string labelsPath) =>
        File.ReadLines(labelsPath).FirstOrDefault()?.Split(',').Contains("has_tumour") == true;
}

/// <summary>What <c>retinascreen validate</c> measured on whole slides, as written to JSON.</summary>
public sealed record SlideValidationReport(
    string Data,
    int Slides,
    string Name,
    string Version,
    string Sha256,
    string Aggregation,
    BinaryReport Metastasis,
    IReadOnlyList<SlideValidationRow> Results);

/// <summary>One slide: its truth and what the model said.</summary>
public sealed record SlideValidationRow(string File, bool HasTumour, double TumourFraction, double Probability, bool Positive, int TissuePatches, int Tiles);
