using System.Text.Json;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Cli.Validation;

namespace RetinaScreen.Inference.Tests;

public sealed class ValidationTests
{
    [Fact]
    public void REQ_AI_09_wilson_interval_matches_published_values()
    {
        // Newcombe (Stat Med 1998) Table I: 81/263 → 0.2553–0.3662.
        var (p, lower, upper) = ClassificationStatistics.Wilson(81, 263);

        Assert.Equal(81 / 263.0, p, 6);
        Assert.Equal(0.2553, lower, 3);
        Assert.Equal(0.3662, upper, 3);
    }

    [Fact]
    public void REQ_AI_09_delong_auc_equals_mann_whitney_and_its_interval_contains_it()
    {
        var scores = new double[] { 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1 };
        var labels = new[] { true, true, false, true, true, false, false, true, false, false };

        var (auc, lower, upper) = ClassificationStatistics.AucDeLong(scores, labels);

        Assert.Equal(TestImages.Auc(scores, labels), auc, 10);
        Assert.True(lower < auc && auc < upper);
        Assert.InRange(upper - lower, 0.2, 0.8);
    }

    [Fact]
    public void REQ_AI_09_quadratic_kappa_is_one_for_agreement_and_penalises_distance()
    {
        var perfect = new int[5, 5];
        var offByOne = new int[5, 5];
        var offByFour = new int[5, 5];
        for (var i = 0; i < 5; i++)
        {
            perfect[i, i] = 10;
            offByOne[i, i] = 8;
            offByOne[i, Math.Min(4, i + 1)] += 2;
        }

        offByFour[0, 0] = 10;
        offByFour[4, 4] = 10;
        offByFour[0, 4] = 2;

        Assert.Equal(1.0, ClassificationStatistics.QuadraticKappa(perfect), 10);
        Assert.True(ClassificationStatistics.QuadraticKappa(offByOne) > ClassificationStatistics.QuadraticKappa(offByFour));
    }

    [Fact]
    public void REQ_AI_09_validate_reports_a_labelled_dicom_folder_as_table_and_json()
    {
        var dir = Directory.CreateTempSubdirectory("validate-").FullName;
        try
        {
            SynthDataset.Write(dir, new SynthDatasetOptions { Count = 24, Seed = TestImages.SeedBase + 9000, UngradableFraction = 0.25, Format = SynthOutputFormat.Dicom });
            var json = Path.Combine(dir, "report.json");
            var stdout = new StringWriter();
            var stderr = new StringWriter();

            var code = ValidateCommand.Run(["--model", FundusGradingOptions.DefaultModelCard, "--data", dir, "--json", json], stdout, stderr);

            Assert.True(code == 0, stderr.ToString());
            var table = stdout.ToString();
            Assert.Contains("Referable DR", table, StringComparison.Ordinal);
            Assert.Contains("Sensitivity for ungradable", table, StringComparison.Ordinal);
            Assert.Contains("DeLong", table, StringComparison.Ordinal);
            using var report = JsonDocument.Parse(File.ReadAllText(json));
            var model = report.RootElement.GetProperty("model");
            Assert.Equal("0.2.0", model.GetProperty("version").GetString());
            Assert.Equal(5, model.GetProperty("gradeConfusion").GetArrayLength());
            Assert.Equal(24, report.RootElement.GetProperty("images").GetInt32());
            Assert.True(model.GetProperty("gradeQuadraticKappa").GetDouble() > 0.8);
            var point = model.GetProperty("referableDr").GetProperty("operatingPoints")[0];
            Assert.True(point.GetProperty("sensitivity").GetProperty("lower").GetDouble() <= point.GetProperty("sensitivity").GetProperty("value").GetDouble());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
