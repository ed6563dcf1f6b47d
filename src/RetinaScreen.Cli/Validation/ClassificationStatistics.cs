namespace RetinaScreen.Cli.Validation;

/// <summary>The statistics of a validation report: AUC with DeLong's confidence interval, Wilson intervals for
/// proportions, and the quadratic-weighted kappa of an ordinal scale.</summary>
public static class ClassificationStatistics
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// Area under the ROC curve (ties count one half) with its 95 % confidence interval by DeLong, DeLong and
    /// Clarke-Pearson (Biometrics 1988): the variance comes from the structural components of the Mann-Whitney
    /// statistic, V10 over positives and V01 over negatives. A perfectly separating score has zero variance, so its
    /// interval collapses to [1, 1]; read it together with the number of cases.
    /// </summary>
    public static (double Auc, double Lower, double Upper) AucDeLong(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        var positives = scores.Where((_, i) => labels[i]).ToArray();
        var negatives = scores.Where((_, i) => !labels[i]).ToArray();
        if (positives.Length == 0 || negatives.Length == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        var v10 = positives.Select(x => negatives.Average(y => Psi(x, y))).ToArray();
        var v01 = negatives.Select(y => positives.Average(x => Psi(x, y))).ToArray();
        var auc = v10.Average();
        var variance = SampleVariance(v10) / positives.Length + SampleVariance(v01) / negatives.Length;
        var half = Z95 * Math.Sqrt(Math.Max(0, variance));
        return (auc, Math.Max(0, auc - half), Math.Min(1, auc + half));
    }

    /// <summary>Wilson score interval (95 %) of <paramref name="successes"/> out of <paramref name="trials"/>.</summary>
    public static (double Proportion, double Lower, double Upper) Wilson(int successes, int trials)
    {
        if (trials == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        double n = trials;
        var p = successes / n;
        var z2 = Z95 * Z95;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z95 / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return (p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Cohen's kappa with quadratic weights over a k×k confusion matrix (rows: truth, columns: prediction).</summary>
    public static double QuadraticKappa(int[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        var k = confusion.GetLength(0);
        double total = 0;
        var rows = new double[k];
        var cols = new double[k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                total += confusion[i, j];
                rows[i] += confusion[i, j];
                cols[j] += confusion[i, j];
            }
        }

        if (total == 0)
        {
            return double.NaN;
        }

        double observed = 0, expected = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                var w = (i - j) * (i - j) / (double)((k - 1) * (k - 1));
                observed += w * confusion[i, j];
                expected += w * rows[i] * cols[j] / total;
            }
        }

        return expected == 0 ? 1 : 1 - observed / expected;
    }

    private static double Psi(double positive, double negative) => positive > negative ? 1 : positive == negative ? 0.5 : 0;

    private static double SampleVariance(double[] values)
    {
        if (values.Length < 2)
        {
            return 0;
        }

        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
    }
}
