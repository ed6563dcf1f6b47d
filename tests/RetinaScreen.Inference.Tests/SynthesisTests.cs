using RetinaScreen.Cli.Synthesis;

namespace RetinaScreen.Inference.Tests;

public sealed class SynthesisTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public void REQ_AI_01_same_seed_gives_identical_image_and_truth()
    {
        var a = FundusSynthesizer.Generate(TestImages.SeedBase + 1);
        var b = FundusSynthesizer.Generate(TestImages.SeedBase + 1);

        Assert.Equal(768, a.Frame.Width);
        Assert.Equal(768, a.Frame.Height);
        Assert.Equal(a.Frame.Pixels, b.Frame.Pixels);
        Assert.Equal(a.Truth, b.Truth);
    }

    [Fact]
    public void REQ_AI_01_different_seeds_give_different_images()
    {
        var spec = FundusSpec.Default with { Size = 256 };
        var a = FundusSynthesizer.Generate(TestImages.SeedBase + 2, spec);
        var b = FundusSynthesizer.Generate(TestImages.SeedBase + 3, spec);

        var differing = a.Frame.Pixels.Zip(b.Frame.Pixels).Count(p => p.First != p.Second);
        Assert.True(differing > a.Frame.Pixels.Length / 4, $"only {differing} bytes differ");
    }

    [Fact]
    public void REQ_AI_01_red_lesions_grow_with_grade()
    {
        // The same seed renders the same eye through the same camera at every grade; only the lesions differ.
        var seeds = Enumerable.Range(TestImages.SeedBase + 10, 4).ToArray();
        var mean = new double[5];
        foreach (var seed in seeds)
        {
            var healthy = FundusSynthesizer.Generate(seed, FundusSpec.Default with { Size = 512, Grade = 0, Dme = false }).Frame;
            for (var grade = 0; grade <= 4; grade++)
            {
                var frame = FundusSynthesizer.Generate(seed, FundusSpec.Default with { Size = 512, Grade = grade, Dme = false }).Frame;
                mean[grade] += TestImages.RedLesionPixels(frame, healthy) / (double)seeds.Length;
            }
        }

        Assert.Equal(0, mean[0]);
        Assert.True(mean[1] > 0, "grade 1 shows microaneurysms");
        Assert.True(mean[2] > mean[1], $"grade 2 ({mean[2]}) > grade 1 ({mean[1]})");
        Assert.True(mean[3] > mean[2], $"grade 3 ({mean[3]}) > grade 2 ({mean[2]})");
        Assert.True(mean[4] > mean[2], $"grade 4 ({mean[4]}) > grade 2 ({mean[2]})");
    }

    [Fact]
    public void REQ_AI_01_truth_follows_the_referable_definition()
    {
        var truths = Enumerable.Range(TestImages.SeedBase + 100, 200)
            .Select(seed => FundusSynthesizer.Generate(seed, FundusSpec.Default with { Size = 64, UngradableFraction = 0.3 }).Truth)
            .ToList();

        Assert.All(truths, t => Assert.Equal(t.IcdrGrade >= 2 || t.Dme, t.ReferableDr));
        Assert.All(truths, t => Assert.Equal(t.Defect == "none", t.Gradable));
        Assert.All(truths, t => Assert.True(t.Laterality is "R" or "L"));
        Assert.All(truths, t => Assert.False(t.Dme && t.IcdrGrade == 0));
        Assert.Equal(5, truths.Select(t => t.IcdrGrade).Distinct().Count());
        Assert.InRange(truths.Count(t => !t.Gradable), 35, 85);
    }

    [Fact]
    public void REQ_AI_01_spec_overrides_grade_dme_defect_and_laterality()
    {
        var truth = FundusSynthesizer.Generate(TestImages.SeedBase + 5,
            FundusSpec.Default with { Size = 128, Grade = 1, Dme = true, Defect = QualityDefect.Blur, Laterality = "L" }).Truth;

        Assert.Equal(new FundusTruth(1, true, true, false, "blur", "L", TestImages.SeedBase + 5), truth);
        Assert.Throws<ArgumentException>(() => FundusSynthesizer.Generate(1, FundusSpec.Default with { Grade = 0, Dme = true }));
    }

    [Fact]
    public void REQ_AI_01_synth_command_writes_pngs_and_labels()
    {
        var dir = Directory.CreateTempSubdirectory("synth-").FullName;
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();

            var rc = SynthCommand.Run(["--out", dir, "--count", "4", "--seed", "77", "--size", "128", "--ungradable-fraction", "0.5", "--png"], stdout, stderr);

            Assert.Equal(0, rc);
            var lines = File.ReadAllLines(Path.Combine(dir, "labels.csv"));
            Assert.Equal("file,seed,grade,referable_dr,dme,gradable,defect,laterality", lines[0]);
            Assert.Equal(5, lines.Length);
            Assert.StartsWith("synth-00000077.png,77,", lines[1], StringComparison.Ordinal);
            foreach (var line in lines.Skip(1))
            {
                var file = Path.Combine(dir, line.Split(',')[0]);
                Assert.True(File.Exists(file));
                Assert.Equal(PngSignature, File.ReadAllBytes(file)[..4]);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--count", "3")]
    [InlineData("--out", "x", "--count", "many")]
    [InlineData("--out", "x", "--bogus")]
    [InlineData("--out", "x", "--grade", "7")]
    public void REQ_AI_01_synth_command_rejects_bad_arguments(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(2, SynthCommand.Run(args, stdout, stderr));
        Assert.Contains("usage:", stderr.ToString(), StringComparison.Ordinal);
    }
}
