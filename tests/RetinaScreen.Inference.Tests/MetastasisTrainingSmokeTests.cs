using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using RetinaScreen.Cli.Synthesis.Pathology;

namespace RetinaScreen.Inference.Tests;

/// <summary>CI's metastasis training run: two batches on a handful of synthetic patches, slide scoring on tiny slides,
/// then the ONNX export and card, in well under a minute. It needs Debian's python3-torch, python3-onnx and python3-pil
/// (tests/run.sh installs them) and fails, never skips, without them.</summary>
public sealed class MetastasisTrainingSmokeTests
{
    [Fact]
    public void REQ_AI_10_metastasis_training_script_exports_onnx_and_a_card_with_the_contract()
    {
        var root = Directory.CreateTempSubdirectory("metastasis-smoke-").FullName;
        try
        {
            var seed = TestImages.SeedBase + 61_000;
            PathologyDataset.WriteTiles(Path.Combine(root, "train"), new PathologyDatasetOptions { Count = 2, Seed = seed, Size = 512, PatchesPerSlide = 12, TumourFraction = 1 });
            PathologyDataset.WriteSlides(Path.Combine(root, "val"), new PathologyDatasetOptions { Count = 2, Seed = seed + 100, Size = 512, SlidePng = true });
            PathologyDataset.WriteSlides(Path.Combine(root, "test"), new PathologyDatasetOptions { Count = 2, Seed = seed + 200, Size = 512, SlidePng = true });

            var output = Path.Combine(root, "out");
            var script = Path.Combine(RepositoryRoot(), "training", "train_metastasis.py");
            var (code, log) = Run("/usr/bin/python3", [script, "--data", root, "--out", output, "--smoke", "--version", "0.0.0-smoke"]);
            Assert.True(code == 0, log);

            using var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metastasis-0.0.0-smoke.json")));
            var c = card.RootElement;
            Assert.Equal("metastasis", c.GetProperty("name").GetString());
            Assert.True(c.GetProperty("notForClinicalUse").GetBoolean());
            var onnx = File.ReadAllBytes(Path.Combine(output, c.GetProperty("file").GetString()!));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onnx)), c.GetProperty("sha256").GetString());
            Assert.Equal("patch", c.GetProperty("input").GetProperty("name").GetString());
            Assert.Equal(3, c.GetProperty("input").GetProperty("mean").GetArrayLength());
            Assert.Equal("top-k-mean", c.GetProperty("slideAggregation").GetProperty("method").GetString());
            Assert.Equal(8, c.GetProperty("slideAggregation").GetProperty("k").GetInt32());
            Assert.Equal(TissueRule.GlassMinimum, c.GetProperty("tissueDetection").GetProperty("glassMinimum").GetInt32());
            Assert.Equal(TissueRule.MinimumTissueFraction, c.GetProperty("tissueDetection").GetProperty("minimumTissueFraction").GetDouble());
            Assert.True(c.GetProperty("operatingPoints").GetProperty("slide").TryGetProperty("threshold", out _));
            Assert.True(c.GetProperty("operatingPoints").GetProperty("patch").TryGetProperty("threshold", out _));

            using var session = new InferenceSession(onnx);
            Assert.Equal([-1, 3, 64, 64], session.InputMetadata["patch"].Dimensions);
            Assert.Equal([-1, 1], session.OutputMetadata["metastasis"].Dimensions);
            var input = new DenseTensor<float>([3, 3, 64, 64]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("patch", input)]);
            var probabilities = results.Single().AsTensor<float>();
            Assert.Equal([3, 1], probabilities.Dimensions.ToArray());
            Assert.All(probabilities.ToArray(), p => Assert.InRange(p, 0f, 1f));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void REQ_AI_10_the_shipped_metastasis_model_matches_its_card_and_tells_tumour_patches_from_normal()
    {
        var cardPath = Path.Combine(RepositoryRoot(), "models", "metastasis", "metastasis-0.1.0.json");
        using var card = JsonDocument.Parse(File.ReadAllText(cardPath));
        var c = card.RootElement;
        var onnx = File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(cardPath)!, c.GetProperty("file").GetString()!));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onnx)), c.GetProperty("sha256").GetString());
        var mean = c.GetProperty("input").GetProperty("mean").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var std = c.GetProperty("input").GetProperty("std").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var threshold = c.GetProperty("operatingPoints").GetProperty("patch").GetProperty("threshold").GetDouble();

        // A slide from seeds no training split used, as its DICOM frames decode.
        var slide = WholeSlideWriter.AsStored(SlideSynthesizer.Generate(TestImages.SeedBase + 62_000, new SlideSpec { Width = 1024, Height = 1024, Tumour = true, TumourRegionCount = 3 }));
        var patches = PatchSampler.Sample(slide, 32, seed: 11);
        var input = new DenseTensor<float>([patches.Count, 3, 64, 64]);
        for (var n = 0; n < patches.Count; n++)
        {
            for (var i = 0; i < 64 * 64; i++)
            {
                for (var ch = 0; ch < 3; ch++)
                {
                    input[n, ch, i / 64, i % 64] = (patches[n].Rgb[i * 3 + ch] / 255f - mean[ch]) / std[ch];
                }
            }
        }

        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("patch", input)]);
        var p = results.Single().AsTensor<float>().ToArray();
        var wrong = patches.Select((patch, n) => (patch, score: p[n])).Where(t => t.patch.Tumour != (t.score >= threshold)).ToList();
        Assert.True(patches.Count(t => t.Tumour) >= 8, "the slide yields tumour patches");
        Assert.True(wrong.Count <= 1, string.Join("; ", wrong.Select(w => $"({w.patch.X},{w.patch.Y}) tumour={w.patch.Tumour} p={w.score:0.000}")));
    }

    private static (int Code, string Log) Run(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "metastasis training smoke run timed out after 120 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RetinaScreen.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("RetinaScreen.sln not found above the test binaries");
    }
}
