using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference.Tests;

public sealed class FundusGradingTests
{
    [Fact]
    public void REQ_AI_03_services_are_registered_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["RetinaScreen:Inference:ModelCard"] = FundusGradingOptions.DefaultModelCard,
                ["RetinaScreen:Inference:IntraOpThreads"] = "1",
            })
            .Build();
        using var provider = new ServiceCollection().AddLogging().AddFundusGrading(configuration).AddSingleton<FundusPhotographGrader>().BuildServiceProvider();

        var grader = provider.GetRequiredService<DrGrader>();

        Assert.Same(grader, provider.GetRequiredService<DrGrader>());
        Assert.NotNull(provider.GetRequiredService<GradabilityAssessor>());
        Assert.Equal("dr-grader", provider.GetRequiredService<FundusPhotographGrader>().Model.Name);
    }

    [Fact]
    public async Task REQ_AI_04_photograph_grader_checks_gradability_before_grading_a_dicom_photograph()
    {
        using var drGrader = new DrGrader(new FundusGradingOptions { IntraOpThreads = 1 });
        await using var engine = new DrBatchingEngine(drGrader, new FundusGradingOptions());
        var grader = new FundusPhotographGrader(new GradabilityAssessor(), engine);
        var dir = Directory.CreateTempSubdirectory("photo-").FullName;
        try
        {
            var good = Path.Combine(dir, "good.dcm");
            var dark = Path.Combine(dir, "dark.dcm");
            var visit = SyntheticVisit.Create(TestImages.SeedBase + 8000);
            OphthalmicPhotographWriter.Create(FundusSynthesizer.Generate(TestImages.SeedBase + 8000, FundusSpec.Default with { Grade = 4 }), visit, 1).Save(good);
            OphthalmicPhotographWriter.Create(FundusSynthesizer.Generate(TestImages.SeedBase + 8001, FundusSpec.Default with { Defect = QualityDefect.UnderExposure }), visit, 2).Save(dark);

            var graded = (await grader.GradeAsync(good, CancellationToken.None)).Outcome;
            var rejected = grader.Grade(dark);

            Assert.True(graded.Gradable);
            Assert.True(graded.ReferableDr);
            Assert.Equal(5, graded.GradeProbabilities.Length);
            Assert.NotNull(graded.HeatmapPng); // REQ-AI-05: a heatmap overlay with every graded photograph
            Assert.Null(rejected.HeatmapPng);
            Assert.False(rejected.Gradable);
            Assert.Equal(Gradability.TooDark, rejected.UngradableReason);
            Assert.Empty(rejected.GradeProbabilities);
            Assert.Equal(drGrader.Card.OperatingPoints.ReferableDr.Threshold, rejected.ReferableDrThreshold);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
