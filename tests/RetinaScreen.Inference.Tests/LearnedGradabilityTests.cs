using System.Security.Cryptography;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Models;
using RetinaScreen.Inference.Quality;
using Xunit.Abstractions;

namespace RetinaScreen.Inference.Tests;

public sealed class LearnedGradabilityTests(ITestOutputHelper output)
{
    private static string CardPath => FundusGradingOptions.Resolve(FundusGradingOptions.DefaultGradabilityModelCard);

    [Fact]
    public void REQ_AI_06_shipped_classifier_matches_its_card_and_reports_held_out_sensitivity()
    {
        var classifier = new GradabilityClassifier(CardPath);

        Assert.Equal(classifier.Card.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(classifier.Card.ModelPath))));
        Assert.True(classifier.Card.NotForClinicalUse);
        Assert.Equal(QualityFeatureVector.Names, classifier.Card.Features);
        var heldOut = classifier.Card.Metrics!.Value.GetProperty("heldOutTest");
        Assert.True(heldOut.GetProperty("ungradableSensitivity").GetDouble() >= 0.95);
    }

    [Fact]
    public void REQ_AI_06_tampered_classifier_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("tampered-gradability-").FullName;
        try
        {
            var card = GradabilityModelCard.Load(CardPath);
            File.Copy(card.CardPath, Path.Combine(dir, Path.GetFileName(card.CardPath)));
            var bytes = File.ReadAllBytes(card.ModelPath);
            bytes[^10] ^= 0x01;
            File.WriteAllBytes(Path.Combine(dir, card.File), bytes);

            var e = Assert.Throws<ModelIntegrityException>(() => new GradabilityClassifier(Path.Combine(dir, Path.GetFileName(card.CardPath))));
            Assert.Equal(card.Sha256, e.ExpectedSha256);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void REQ_AI_06_learned_check_catches_ungradable_photographs_with_a_reason()
    {
        // Seeds never used by the classifier's training (4M), validation (5M) or held-out test (6M).
        var assessor = new GradabilityAssessor(GradabilityThresholds.Default, new GradabilityClassifier(CardPath));
        var defects = new[] { QualityDefect.Blur, QualityDefect.UnderExposure, QualityDefect.OverExposure, QualityDefect.LashArtifact, QualityDefect.OffCentre };
        var bad = defects.SelectMany((d, k) => TestImages.Generate(TestImages.SeedBase + 8000 + 100 * k, 8, FundusSpec.Default with { Defect = d })).ToArray();
        var good = TestImages.Generate(TestImages.SeedBase + 8600, 20, FundusSpec.Default);

        var badResults = bad.Select(i => assessor.Assess(i.Frame)).ToList();
        var goodResults = good.Select(i => assessor.Assess(i.Frame)).ToList();
        output.WriteLine(string.Join(", ", badResults.Select(r => r.Reason ?? "gradable")));

        Assert.True(badResults.Count(r => !r.Gradable) >= 0.95 * bad.Length, $"{badResults.Count(r => !r.Gradable)} of {bad.Length} ungradable caught");
        Assert.All(badResults.Where(r => !r.Gradable), r => Assert.False(string.IsNullOrEmpty(r.Reason)));
        Assert.True(goodResults.Count(r => r.Gradable) >= 0.9 * good.Length, $"{goodResults.Count(r => r.Gradable)} of {good.Length} gradable kept");
        var blurred = badResults.Take(8).Where(r => !r.Gradable).ToList();
        Assert.True(blurred.Count(r => r.Reason == Gradability.Blurred) >= blurred.Count - 1, "blurred photographs are refused as blurred");
    }

    [Fact]
    public void REQ_AI_06_worst_feature_names_the_feature_nearest_its_limit()
    {
        var assessor = new GradabilityAssessor();
        var features = new QualityFeatures(0.6, 0.01, 0.98, 0.99, 100, 20, 180, 0.0, 0.0, 30, 0.21);

        Assert.Equal(Gradability.Blurred, assessor.WorstFeature(features));
        Assert.Equal(Gradability.TooDark, assessor.WorstFeature(features with { MeanLuma = 46, Sharpness = 2 }));
    }
}
