using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Inference.Quality;

// gradability-trainer [--out models/gradability] [--version 0.1.0] [--train N] [--validation N] [--test N]
// Synthesises photographs (half with a quality defect), measures their QualityFeatures exactly as inference does,
// trains a FastTree binary classifier (label: ungradable), picks the operating point on the validation seeds and
// reports held-out metrics on seeds never used before. Deterministic: fixed seeds, one training thread.
const int Seed = 20160702;
const int TrainSeed = 4_000_000, ValidationSeed = 5_000_000, TestSeed = 6_000_000;
const double MinValidationSensitivity = 0.98;

var output = Path.Combine("models", "gradability");
var version = "0.1.0";
int trainCount = 1600, validationCount = 500, testCount = 600;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--out": output = args[++i]; break;
        case "--version": version = args[++i]; break;
        case "--train": trainCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--validation": validationCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--test": testCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}");
            return 2;
    }
}

var started = Stopwatch.StartNew();
var train = Measure(TrainSeed, trainCount);
var validation = Measure(ValidationSeed, validationCount);
Console.WriteLine($"measured {train.Length} + {validation.Length} photographs in {started.Elapsed.TotalSeconds:F0} s");

var ml = new MLContext(seed: Seed);
var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
{
    LabelColumnName = nameof(QualityFeatureVector.Label),
    FeatureColumnName = nameof(QualityFeatureVector.Features),
    NumberOfTrees = 200,
    NumberOfLeaves = 16,
    MinimumExampleCountPerLeaf = 10,
    LearningRate = 0.1,
    NumberOfThreads = 1,
    Seed = Seed,
});
var model = trainer.Fit(ml.Data.LoadFromEnumerable(train));

var validationScores = Score(model, validation);
var threshold = ChooseThreshold(validationScores, validation);
// The held-out seeds are synthesised only now, after every training and threshold decision.
var test = Measure(TestSeed, testCount);
var testScores = Score(model, test);

Directory.CreateDirectory(output);
var name = $"gradability-{version}";
var modelPath = Path.Combine(output, name + ".zip");
ml.Model.Save(model, ml.Data.LoadFromEnumerable(train).Schema, modelPath);
var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelPath)));

var card = new GradabilityModelCard
{
    Name = "gradability",
    Version = version,
    File = name + ".zip",
    Sha256 = sha,
    NotForClinicalUse = true,
    IntendedUse = "Reference gradability check for RetinaScreen development: refuses colour fundus photographs that cannot be graded "
        + "(blur, under/over-exposure, lash and lid shadows, off-centre field) so they can be retaken at once. NOT FOR CLINICAL USE: "
        + "trained and evaluated only on synthetic images; the metrics say nothing about real cameras or patients.",
    Features = QualityFeatureVector.Names,
    UngradableThreshold = Math.Round(threshold, 6),
    ThresholdRule = $"the highest threshold on calibrated P(ungradable) with validation sensitivity >= {MinValidationSensitivity}, midway to the next lower score",
    TrainingData = JsonSerializer.SerializeToElement(new
    {
        description = "Synthetic photographs from RetinaScreen.Cli.Synthesis.FundusSynthesizer (768 px, ungradable fraction 0.5: blur, "
            + "under/over-exposure, lash artefact, off-centre), features by GradabilityAssessor.Measure (384 px analysis scale). Label: ungradable.",
        trainSeeds = $"{TrainSeed}-{TrainSeed + trainCount - 1}",
        validationSeeds = $"{ValidationSeed}-{ValidationSeed + validationCount - 1}",
        testSeeds = $"{TestSeed}-{TestSeed + testCount - 1}",
    }),
    Metrics = JsonSerializer.SerializeToElement(new
    {
        validation = Metrics(validationScores, validation, threshold),
        heldOutTest = Metrics(testScores, test, threshold),
    }),
    Training = JsonSerializer.SerializeToElement(new
    {
        tool = "training/GradabilityTrainer",
        framework = "ML.NET 5.0.1 FastTreeBinaryTrainer (Platt-calibrated)",
        seed = Seed,
        trees = 200,
        leaves = 16,
        seconds = Math.Round(started.Elapsed.TotalSeconds),
    }),
};
card.Save(Path.Combine(output, name + ".json"));
Console.WriteLine($"wrote {modelPath} (sha256 {sha}), threshold {threshold:F4}");
Console.WriteLine(JsonSerializer.Serialize(card.Metrics));
return 0;

static QualityFeatureVector[] Measure(int seedBase, int count)
{
    var spec = FundusSpec.Default with { UngradableFraction = 0.5 };
    var rows = new QualityFeatureVector[count];
    Parallel.For(0, count, i =>
    {
        var (frame, truth) = FundusSynthesizer.Generate(seedBase + i, spec);
        rows[i] = QualityFeatureVector.From(GradabilityAssessor.Measure(frame), ungradable: !truth.Gradable);
    });
    return rows;
}

float[] Score(ITransformer transformer, QualityFeatureVector[] rows)
{
    var engine = ml.Model.CreatePredictionEngine<QualityFeatureVector, UngradablePrediction>(transformer);
    return [.. rows.Select(r => engine.Predict(r).Probability)];
}

static double ChooseThreshold(float[] scores, QualityFeatureVector[] rows)
{
    var positives = rows.Count(r => r.Label);
    var ordered = scores.Select((s, i) => (Score: (double)s, rows[i].Label)).OrderByDescending(x => x.Score).ToArray();
    var caught = 0;
    for (var i = 0; i < ordered.Length; i++)
    {
        caught += ordered[i].Label ? 1 : 0;
        var atEnd = i == ordered.Length - 1 || ordered[i + 1].Score < ordered[i].Score;
        if (atEnd && caught >= MinValidationSensitivity * positives)
        {
            return i == ordered.Length - 1 ? ordered[i].Score : (ordered[i].Score + ordered[i + 1].Score) / 2;
        }
    }

    return 0;
}

static object Metrics(float[] scores, QualityFeatureVector[] rows, double threshold)
{
    int tp = 0, fn = 0, tn = 0, fp = 0;
    for (var i = 0; i < rows.Length; i++)
    {
        var refused = scores[i] >= threshold;
        if (rows[i].Label)
        {
            if (refused) { tp++; } else { fn++; }
        }
        else if (refused) { fp++; } else { tn++; }
    }

    return new
    {
        images = rows.Length,
        ungradable = tp + fn,
        ungradableSensitivity = Math.Round(tp / (double)Math.Max(1, tp + fn), 4),
        gradableSpecificity = Math.Round(tn / (double)Math.Max(1, tn + fp), 4),
        auc = Math.Round(Auc(scores, rows), 4),
    };
}

static double Auc(float[] scores, QualityFeatureVector[] rows)
{
    double wins = 0;
    long pairs = 0;
    for (var i = 0; i < rows.Length; i++)
    {
        if (!rows[i].Label)
        {
            continue;
        }

        for (var j = 0; j < rows.Length; j++)
        {
            if (rows[j].Label)
            {
                continue;
            }

            pairs++;
            wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
        }
    }

    return pairs == 0 ? double.NaN : wins / pairs;
}
