using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference.Tests;

/// <summary>
/// What the grading consumer calls, given a damaged photograph: an ungradable answer naming the damage, with no grade,
/// no scores and no heatmap, where the same photograph whole is graded referable.
/// </summary>
public sealed class DamagedPhotographGradingTests
{
    [Theory]
    [InlineData(60, true)]
    [InlineData(85, false)]
    public async Task REQ_PIPE_22_a_cut_photograph_is_answered_ungradable_as_damaged_and_never_graded(int percent, bool endOfImageAppended)
    {
        using var drGrader = new DrGrader(new FundusGradingOptions { IntraOpThreads = 1 });
        await using var engine = new DrBatchingEngine(drGrader, new FundusGradingOptions());
        var grader = new FundusPhotographGrader(new GradabilityAssessor(), engine);
        var folder = Directory.CreateTempSubdirectory("damaged-photo-").FullName;
        try
        {
            var whole = Path.Combine(folder, "whole.dcm");
            var seed = 961_300 + percent;
            OphthalmicPhotographWriter.Create(FundusSynthesizer.Generate(seed, FundusSpec.Default with { Grade = 4 }), SyntheticVisit.Create(seed), 1).Save(whole);
            var damaged = Cut(whole, Path.Combine(folder, "damaged.dcm"), percent, endOfImageAppended);

            var intact = await grader.GradeAsync(whole, CancellationToken.None);
            var refused = await grader.GradeAsync(damaged, CancellationToken.None);

            Assert.True(intact.Outcome.Gradable && intact.Outcome.ReferableDr, "the whole photograph should be graded referable");
            Assert.Null(intact.DecodeFailure);
            Assert.False(refused.Outcome.Gradable);
            Assert.StartsWith("image data damaged: ", refused.Outcome.UngradableReason, StringComparison.Ordinal);
            Assert.Equal(PhotographGrading.ImageDamaged, refused.DecodeFailure);
            Assert.Empty(refused.Outcome.GradeProbabilities);
            Assert.False(refused.Outcome.ReferableDr || refused.Outcome.ReferableDme);
            Assert.Null(refused.Outcome.HeatmapPng);
            Assert.Null(refused.Outcome.Quality);
            Assert.Equal(drGrader.Card.OperatingPoints.ReferableDr.Threshold, refused.Outcome.ReferableDrThreshold);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The photograph with its JPEG fragment cut to <paramref name="percent"/> (and an end-of-image marker appended).</summary>
    private static string Cut(string source, string target, int percent, bool endOfImageAppended)
    {
        var file = DicomFile.Open(source);
        var jpeg = ((DicomFragmentSequence)file.Dataset[DicomTag.PixelData]).Fragments[0].Memory.ToArray();
        byte[] cut = [.. jpeg[..(jpeg.Length * percent / 100)], .. (endOfImageAppended ? new byte[] { 0xFF, 0xD9 } : [])];
        if (cut.Length % 2 == 1)
        {
            cut = [.. cut, 0x00];
        }

        file.Dataset.Add(new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, DicomBuffer.Empty, [new DicomBuffer(cut)]));
        file.Save(target);
        return target;
    }
}
