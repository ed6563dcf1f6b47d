using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Inference;
using RetinaScreen.Inference.Benchmarks;
using RetinaScreen.Inference.Engine;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Heatmaps;
using RetinaScreen.Inference.Quality;

// Inference benchmark: per model at batch 1, 8 and 32, images/s and p50/p99 latency, and for the DR grader and the
// metastasis patch classifier the ratio of the whole pipeline's throughput (decode DICOM, preprocess, infer,
// postprocess incl. heatmap PNG) to bare InferenceSession.Run on the same prepared inputs; then whole slides.
//   dotnet run -c Release --project bench/RetinaScreen.Inference.Benchmarks [-- --provider Cuda] [--seconds S] [--batches 1,8,32]
//     [--model CARD.json]         any ONNX model meeting the DR contract, by its card (SHA-256 checked); implies --dr-only
//     [--dr-only]                 the DR grader alone (no gradability, no metastasis)
//     [--metastasis-only]         the metastasis patch classifier and whole slides alone (no DR, no gradability)
//     [--callers-per-batch K]     concurrent photographs in the DR pipeline per image of a batch (default 2)
//     [--intra-op-threads N]      ONNX Runtime threads of the DR and metastasis sessions (pipeline and bare alike), as the worker's IntraOpThreads (default 0: ONNX Runtime's choice)
//     [--slide-size PX]           side of the synthetic whole slide (default 2048; a real lymph-node scan is 50,000-100,000)
//     [--png-options]             only the heatmap PNG encoder comparison
const string Usage = "usage: [--provider Cpu|Cuda] [--seconds S] [--batches 1,8,32] [--model CARD.json] [--dr-only] [--metastasis-only] [--callers-per-batch K] [--intra-op-threads N] [--slide-size PX] [--png-options]";
var provider = ExecutionProviders.Cpu;
var seconds = 3.0;
int[] batches = [1, 8, 32];
string? modelCard = null;
var drOnly = false;
var metastasisOnly = false;
var pngOptionsOnly = false;
var callersPerBatch = 2;
var intraOpThreads = 0;
var slideSize = 2048;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--provider": provider = args[++i]; break;
        case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--batches": batches = [.. args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
        case "--model": modelCard = Path.GetFullPath(args[++i]); drOnly = true; break;
        case "--dr-only": drOnly = true; break;
        case "--metastasis-only": metastasisOnly = true; break;
        case "--callers-per-batch": callersPerBatch = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--intra-op-threads": intraOpThreads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--slide-size": slideSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--png-options": pngOptionsOnly = true; break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; {Usage}");
            return 2;
    }
}

if (drOnly && metastasisOnly)
{
    Console.Error.WriteLine($"--dr-only (or --model) and --metastasis-only leave nothing to measure; {Usage}");
    return 2;
}

var minDuration = TimeSpan.FromSeconds(seconds);
var maxDuration = TimeSpan.FromSeconds(seconds * 4);
var options = new FundusGradingOptions { ExecutionProvider = provider, MaxBatch = batches.Max(), IntraOpThreads = intraOpThreads };
// A card given on the command line is loaded exactly as the worker loads its configured card: SHA-256 checked.
using var grader = new DrGrader(modelCard ?? options.ResolveModelCardPath(), options, NullLogger.Instance);
Console.WriteLine($"date       {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"device     {Device(grader.ExecutionProvider)}");
Console.WriteLine($"requested  {provider}; session runs on {grader.ExecutionProvider}; intra-op threads {(intraOpThreads == 0 ? "ONNX Runtime's choice" : intraOpThreads)}");
Console.WriteLine($"runtime    .NET {Environment.Version}, {RuntimeInformation.OSDescription}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
Console.WriteLine($"model      {grader.Card.Name} {grader.Card.Version}, {grader.Card.CardPath} (SHA-256 {grader.Model.Sha256} verified), input {grader.InputSize} px, CAM {grader.CamSize}x{grader.CamSize}");
if (grader.Card.IntendedUse is { } intendedUse)
{
    Console.WriteLine($"card says  {intendedUse}");
}

Console.WriteLine();

// Inputs: synthetic camera photographs as stored DICOM (JPEG baseline, 768 px), decoded from disk each run as the worker does.
var folder = Directory.CreateTempSubdirectory("retinascreen-bench-").FullName;
try
{
    if (metastasisOnly)
    {
        MetastasisBenchmark.Run(provider, intraOpThreads, slideSize, batches, minDuration, maxDuration, folder);
        Console.WriteLine();
        Console.WriteLine("ratio: pipeline patches/s over bare Run patches/s on the same prepared inputs.");
        return 0;
    }

    var count = batches.Max();
    SynthDataset.Write(folder, new SynthDatasetOptions { Count = count, Seed = 9_900_000, Format = SynthOutputFormat.Dicom });
    var files = Directory.GetFiles(folder, "*.dcm").Order(StringComparer.Ordinal).ToArray();
    var frames = files.Select(FundusPhotographGrader.Decode).ToArray();
    var prepared = grader.Prepare([.. frames.Select(f => FundusPreprocessor.Crop(f, grader.InputSize))]);

    var (sessionOptions, _) = ExecutionProviders.CreateSessionOptions(provider, intraOpThreads, NullLogger.Instance, "bench");
    using var session = new InferenceSession(grader.Model.Bytes, sessionOptions);
    sessionOptions.Dispose();
    var outputNames = session.OutputMetadata.Keys.ToArray();

    if (pngOptionsOnly)
    {
        var overlays = grader.GradePrepared([.. Enumerable.Range(0, count).Select(i => prepared.AsMemory(i * grader.SampleLength, grader.SampleLength))])
            .Select((g, i) => HeatmapOverlay.Render(FundusPreprocessor.Crop(frames[i], grader.InputSize), g.Cam!, g.CamSize))
            .ToArray();
        HeatmapPngOptions.Run(overlays, minDuration, maxDuration);
        return 0;
    }

    var rows = new List<(StreamMeasurement Pipeline, Measurement Bare)>();
    foreach (var batch in batches)
    {
        var sample = grader.SampleLength;
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, prepared.AsMemory(0, batch * sample), [batch, 3, grader.InputSize, grader.InputSize]);
        using var runOptions = new RunOptions();
        var bare = Measurement.Run("bare Run", batch, () =>
        {
            using var outputs = session.Run(runOptions, [grader.Card.Input.Name], [input], outputNames);
        }, warmup: 3, minRuns: 10, minDuration, maxDuration);

        var pipeline = DrPipelineStream.Run(grader, files, batch, callersPerBatch * batch, minDuration, maxDuration);
        rows.Add((pipeline, bare));
    }

    Console.WriteLine("DR pipeline: a stream of photographs through decode, preprocess, the batching engine and heatmap PNG, overlapped;");
    Console.WriteLine("latency per photograph (decode start to PNG done, queueing included). Bare Run: latency per batch.");
    Console.WriteLine($"{"DR model",-12}{"batch",6}{"callers",8}{"mean batch",11}{"images",8}{"images/s",10}{"p50 ms",9}{"p99 ms",9}   {"bare Run images/s",18}{"p50 ms",9}{"p99 ms",9}{"ratio",7}");
    foreach (var (p, b) in rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",-12}{p.Batch,6}{p.Callers,8}{p.MeanBatch,11:F1}{p.Images,8}{p.ImagesPerSecond,10:F1}{p.P50,9:F1}{p.P99,9:F1}   {b.ImagesPerSecond,18:F1}{b.P50,9:F1}{b.P99,9:F1}{p.ImagesPerSecond / b.ImagesPerSecond,7:F2}"));
    }

    // Where a pipeline's time goes: each per-image stage alone, one image at a time.
    var one = new float[grader.SampleLength];
    var graded = grader.GradePrepared([prepared.AsMemory(0, grader.SampleLength)])[0];
    var firstCrop = FundusPreprocessor.Crop(frames[0], grader.InputSize);
    // Real cameras send 2000-4000 px; the crop's cost grows with the source, so one such photograph is timed too,
    // decoded as the grader decodes it (reduced to 750 px, ADR 0005) and, for comparison, at full size.
    var largeFolder = Path.Combine(folder, "large");
    SynthDataset.Write(largeFolder, new SynthDatasetOptions { Count = 1, Seed = 9_900_100, Size = 3000, Format = SynthOutputFormat.Dicom });
    var largeFile = Directory.GetFiles(largeFolder, "*.dcm").Single();
    var large = FrameDecoder.Decode(DicomFile.Open(largeFile));
    var largeReduced = FundusPhotographGrader.Decode(largeFile);
    var stages = new[]
    {
        Measurement.Run("decode (DICOM JPEG)", 1, () => FundusPhotographGrader.Decode(files[0]), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("preprocess (crop, normalise)", 1, () => grader.Preprocess(frames[0], one), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run($"decode 3000 px, reduced to {largeReduced.Width}", 1, () => FundusPhotographGrader.Decode(largeFile), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("  the same at full size", 1, () => FrameDecoder.Decode(DicomFile.Open(largeFile)), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("preprocess, reduced 3000 px", 1, () => grader.Preprocess(largeReduced, one), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("  the same at full size", 1, () => grader.Preprocess(large, one), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("postprocess (heatmap PNG)", 1, () => HeatmapOverlay.RenderPng(firstCrop, graded.Cam!, graded.CamSize), 2, 10, minDuration / 3, maxDuration / 3),
        Measurement.Run("  of which the overlay, no PNG", 1, () => HeatmapOverlay.Render(firstCrop, graded.Cam!, graded.CamSize), 2, 10, minDuration / 3, maxDuration / 3),
    };
    Console.WriteLine();
    Console.WriteLine($"{"stage, one image",-34}{"p50 ms",10}{"p99 ms",10}");
    foreach (var stage in stages)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stage.Name,-34}{stage.P50,10:F2}{stage.P99,10:F2}"));
    }

    if (drOnly)
    {
        Console.WriteLine();
        Console.WriteLine("ratio: pipeline images/s over bare Run images/s on the same prepared inputs.");
        return 0;
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

    MetastasisBenchmark.Run(provider, intraOpThreads, slideSize, batches, minDuration, maxDuration, folder);

    Console.WriteLine();
    Console.WriteLine("latency: one batch, except the DR pipeline's (one photograph) and the metastasis pipeline's (one slide); ratio: pipeline images/s over bare Run images/s on the same prepared inputs.");
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
