using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Tests;

/// <summary>CI's training run: a few batches on a handful of images, then the ONNX export, in well under a minute.
/// It needs Debian's python3-torch and python3-onnx (tests/run.sh installs them) and fails, never skips, without them.</summary>
public sealed class TrainingSmokeTests
{
    [Fact]
    public void REQ_AI_10_training_script_trains_a_few_batches_and_exports_onnx_with_the_cam_output()
    {
        var root = Directory.CreateTempSubdirectory("train-smoke-").FullName;
        try
        {
            foreach (var (split, seed) in new[] { ("train", 0), ("val", 100), ("test", 200) })
            {
                SynthDataset.Write(Path.Combine(root, split), new SynthDatasetOptions
                {
                    Count = 12,
                    Seed = TestImages.SeedBase + 9500 + seed,
                    Size = 384,
                    Transform = frame => FundusPreprocessor.Crop(frame),
                });
            }

            var output = Path.Combine(root, "out");
            var script = Path.Combine(RepositoryRoot(), "training", "train_dr_grader.py");
            var (code, log) = Run("/usr/bin/python3", [script, "--data", root, "--out", output, "--epochs", "1", "--max-steps", "2", "--batch", "6", "--version", "0.0.0-smoke"]);

            Assert.True(code == 0, log);
            var model = VerifiedModel.Load(Path.Combine(output, "dr-grader-0.0.0-smoke.json"));
            using var session = new InferenceSession(model.Bytes);
            Assert.Contains(DrGrader.CamOutputName, session.OutputMetadata.Keys);
            Assert.Equal([-1, 1, 4, 4], session.OutputMetadata[DrGrader.CamOutputName].Dimensions);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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
            return (-1, "training smoke run timed out after 120 s");
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
