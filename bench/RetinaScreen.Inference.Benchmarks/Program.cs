using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference;
using RetinaScreen.Inference.Benchmarks;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Heatmaps;
using RetinaScreen.Inference.Quality;

// Inference benchmark: per model at batch 1, 8 and 32, images/s and p50/p99 latency of one batch, and for the DR
// grader and the metastasis patch classifier the ratio of the whole pipeline's throughput (decode DICOM, preprocess,
// infer, postprocess incl. heatmap PNG) to bare InferenceSession.Run on the same prepared inputs; then whole slides.
//   dotnet run -c Release --project bench/RetinaScreen.Inference.Benchmarks [-- --provider Cuda] [--seconds S] [--batches 1,8,32]
var provider = ExecutionProviders.Cpu;
var seconds = 3.0;
int[] batches = [1, 8, 32];
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--provider": provider = args[++i]; break;
        case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--batches": batches = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; usage: [--provider Cpu|Cuda] [--seconds S] [--batches 1,8,32]");
            return 2;
    }
}

var minDuration = TimeSpan.FromSeconds(seconds);
var maxDuration = TimeSpan.FromSeconds(seconds * 4);
var options = new FundusGradingOptions { ExecutionProvider = provider, MaxBatch = batches.Max() };
using var grader = new DrGrader(options.ResolveModelCardPath(), options, NullLogger.Instance);
Console.WriteLine($"date       {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"device     {Device(grader.ExecutionProvider)}");
Console.WriteLine($"requested  {provider}; session runs on {grader.ExecutionProvider}");
Console.WriteLine($"runtime    .NET {Environment.Version}, {RuntimeInformation.OSDescription}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
Console.WriteLine($"model      {grader.Card.Name} {grader.Card.Version}");
Console.WriteLine();

// Inputs: synthetic camera photographs as stored DICOM (JPEG baseline, 768 px), decoded from disk each run as the worker does.
var folder = Directory.CreateTempSubdirectory("retinascreen-bench-").FullName;
try
{
    var count = batches.Max();
    SynthDataset.Write(folder, new SynthDatasetOptions { Count = count, Seed = 9_900_000, Format = SynthOutputFormat.Dicom });
    var files = Directory.GetFiles(folder, "*.dcm").Order(StringComparer.Ordinal).ToArray();
    var frames = files.Select(FundusPhotographGrader.Decode).ToArray();
    var prepared = grader.Prepare([.. frames.Select(f => FundusPreprocessor.Crop(f, grader.InputSize))]);

    var (sessionOptions, _) = ExecutionProviders.CreateSessionOptions(provider, 0, NullLogger.Instance, "bench");
    using var session = new InferenceSession(grader.Model.Bytes, sessionOptions);
    sessionOptions.Dispose();
    var outputNames = session.OutputMetadata.Keys.ToArray();

    var rows = new List<(Measurement Pipeline, Measurement Bare)>();
    foreach (var batch in batches)
    {
        var sample = grader.SampleLength;
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, prepared.AsMemory(0, batch * sample), [batch, 3, grader.InputSize, grader.InputSize]);
        using var runOptions = new RunOptions();
        var bare = Measurement.Run("bare Run", batch, () =>
        {
            using var outputs = session.Run(runOptions, [grader.Card.Input.Name], [input], outputNames);
        }, warmup: 3, minRuns: 10, minDuration, maxDuration);

        var batchFiles = files[..batch];
        var samples = new float[batch][];
        for (var i = 0; i < batch; i++)
        {
            samples[i] = new float[sample];
        }

        var crops = new RgbFrame[batch];
        var pipeline = Measurement.Run("pipeline", batch, () =>
        {
            // What a worker does per photograph, with the per-image stages spread over the cores as concurrent
            // consumers would: decode + preprocess, one batched model run, then thresholds and the heatmap PNG.
            Parallel.For(0, batch, i =>
            {
                crops[i] = grader.Preprocess(FundusPhotographGrader.Decode(batchFiles[i]), samples[i]);
            });
            var results = grader.GradePrepared([.. samples.Select(s => (ReadOnlyMemory<float>)s)]);
            Parallel.For(0, batch, i => HeatmapOverlay.RenderPng(crops[i], results[i].Cam!, results[i].CamSize));
        }, warmup: 2, minRuns: 10, minDuration, maxDuration);
        rows.Add((pipeline, bare));
    }

    Console.WriteLine($"{"DR grader",-12}{"batch",6}{"images/s",12}{"p50 ms",10}{"p99 ms",10}   {"bare Run images/s",18}{"p50 ms",10}{"p99 ms",10}{"ratio",8}");
    foreach (var (p, b) in rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-12}{p.Batch,6}{p.ImagesPerSecond,12:F1}{p.P50,10:F1}{p.P99,10:F1}   {b.ImagesPerSecond,18:F1}{b.P50,10:F1}{b.P99,10:F1}{p.ImagesPerSecond / b.ImagesPerSecond,8:F2}"));
    }

    // Where a pipeline's time goes: each per-image stage alone, one image at a time.
    var one = new float[grader.SampleLength];
    var graded = grader.GradePrepared([prepared.AsMemory(0, grader.SampleLength)])[0];
    var firstCrop = FundusPreprocessor.Crop(frames[0], grader.InputSize);
    var stages = new[]
    {
        Measurement.Run("decode (DICOM JPEG)", 1, () => FundusPhotographGrader.Decode(files[0]), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("preprocess (crop, normalise)", 1, () => grader.Preprocess(frames[0], one), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("postprocess (heatmap PNG)", 1, () => HeatmapOverlay.RenderPng(firstCrop, graded.Cam!, graded.CamSize), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("  of which the overlay, no PNG", 1, () => HeatmapOverlay.Render(firstCrop, graded.Cam!, graded.CamSize), 2, 10, minDuration / 3, maxDuration / 3),
    };
    Console.WriteLine();
    Console.WriteLine($"{"stage, one image",-34}{"p50 ms",10}{"p99 ms",10}");
    foreach (var stage in stages)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage.Name,-34}{stage.P50,10:F1}{stage.P99,10:F1}"));
    }

    // The gradability check runs per photograph (feature measurement + FastTree): a "batch" is that many in a row.
    var classifier = new GradabilityClassifier(FundusGradingOptions.Resolve(FundusGradingOptions.DefaultGradabilityModelCard));
    var assessor = new GradabilityAssessor(GradabilityThresholds.Default, classifier);
    var features = frames.Select(GradabilityAssessor.Measure).ToArray();
    Console.WriteLine();
    Console.WriteLine($"{"gradability",-12}{"batch",6}{"images/s",12}{"p50 ms",10}{"p99 ms",10}   {"classifier only/s",18}{"p50 ms",10}{"p99 ms",10}");
    foreach (var batch in batches)
    {
        var full = Measurement.Run("assess", batch, () => Parallel.For(0, batch, i => assessor.Assess(frames[i])), 2, 10, minDuration / 2, maxDuration / 2);
        var model = Measurement.Run("classify", batch, () =>
        {
            for (var i = 0; i < batch; i++)
            {
                classifier.ProbabilityUngradable(features[i]);
            }
        }, 2, 10, minDuration / 2, maxDuration / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-12}{batch,6}{full.ImagesPerSecond,12:F1}{full.P50,10:F2}{full.P99,10:F2}   {model.ImagesPerSecond,18:F0}{model.P50,10:F3}{model.P99,10:F3}"));
    }

    MetastasisBenchmark.Run(provider, batches, minDuration, maxDuration, folder);

    Console.WriteLine();
    Console.WriteLine("latency: one batch; ratio: pipeline images/s over bare Run images/s on the same prepared inputs.");
}
finally
{
    Directory.Delete(folder, recursive: true);
}

return 0;

static string Device(string provider)
{
    var cpu = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        : null;
    var description = $"{cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} logical cores";
    if (provider == ExecutionProviders.Cuda)
    {
        try
        {
            using var smi = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nvidia-smi", "--query-gpu=name,memory.total,driver_version --format=csv,noheader") { RedirectStandardOutput = true });
            var gpu = smi?.StandardOutput.ReadToEnd().Trim();
            smi?.WaitForExit(5000);
            description = $"GPU {gpu} (CUDA execution provider); host {description}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            description = $"CUDA device 0; host {description}";
        }
    }

    return description;
}
