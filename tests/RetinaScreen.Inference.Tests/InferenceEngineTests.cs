using Microsoft.Extensions.Logging.Abstractions;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference.Tests;

public sealed class InferenceEngineTests(ShippedModel model) : IClassFixture<ShippedModel>
{
    [Fact]
    public async Task REQ_AI_07_concurrent_calls_share_batches_and_get_their_own_results()
    {
        var images = TestImages.Generate(TestImages.SeedBase + 7500, 12, FundusSpec.Default);
        var direct = model.Grader.GradeBatch([.. images.Select(i => i.Frame)]);
        await using var engine = new DrBatchingEngine(model.Grader, new FundusGradingOptions { MaxBatch = 8, MaxBatchWaitMilliseconds = 200 });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var batched = await Task.WhenAll(images.Select(i => Task.Run(() => engine.GradeAsync(i.Frame, timeout.Token))));

        for (var i = 0; i < images.Length; i++)
        {
            Assert.Equal(direct[i].Grade, batched[i].Grade);
            Assert.Equal(direct[i].ReferableDrScore, batched[i].ReferableDrScore, 4);
            Assert.Equal(direct[i].Cam, batched[i].Cam!, (a, b) => Math.Abs(a - b) < 1e-3);
        }

        Assert.Equal(12, engine.Images);
        Assert.InRange(engine.Batches, 2, 11);
    }

    [Fact]
    public async Task REQ_AI_07_a_lone_image_waits_no_longer_than_the_maximum_wait()
    {
        var image = TestImages.Generate(TestImages.SeedBase + 7600, 1, FundusSpec.Default)[0];
        await using var engine = new DrBatchingEngine(model.Grader, new FundusGradingOptions { MaxBatch = 32, MaxBatchWaitMilliseconds = 1 });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var grading = await engine.GradeAsync(image.Frame, timeout.Token);

        Assert.InRange(grading.Grade, 0, 4);
        Assert.Equal(1, engine.Batches);
    }

    [Fact]
    public void REQ_AI_07_batches_larger_than_the_maximum_are_split_and_buffers_reused()
    {
        using var grader = new DrGrader(new FundusGradingOptions { IntraOpThreads = 2, MaxBatch = 4 });
        var images = TestImages.Generate(TestImages.SeedBase + 7700, 10, FundusSpec.Default);

        var first = grader.GradeBatch([.. images.Select(i => i.Frame)]);
        var second = grader.GradeBatch([.. images.Select(i => i.Frame)]);

        Assert.Equal(10, first.Count);
        Assert.Equal(first.Select(g => g.ReferableDrScore), second.Select(g => g.ReferableDrScore));
        Assert.Equal(first.Select(g => g.Grade), model.Grader.GradeBatch([.. images.Select(i => i.Frame)]).Select(g => g.Grade));
    }

    [Fact]
    public void REQ_AI_08_cuda_request_without_the_gpu_build_falls_back_to_cpu()
    {
        using var grader = new DrGrader(new FundusGradingOptions { ExecutionProvider = ExecutionProviders.Cuda, IntraOpThreads = 1 }, NullLogger<DrGrader>.Instance);
        var image = TestImages.Generate(TestImages.SeedBase + 7800, 1, FundusSpec.Default)[0];

        // This test project builds the CPU runtime; a GPU build on a machine with CUDA would report "Cuda" here.
        Assert.Equal(ExecutionProviders.Cpu, grader.ExecutionProvider);
        Assert.InRange(grader.Grade(image.Frame).Grade, 0, 4);
    }
}
