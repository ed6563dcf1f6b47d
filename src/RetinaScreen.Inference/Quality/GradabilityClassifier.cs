using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Quality;

/// <summary>
/// The learned gradability check: an ML.NET FastTree binary classifier over <see cref="QualityFeatures"/>, with
/// Platt-calibrated probabilities, trained in C# (training/GradabilityTrainer). Its file is refused unless its SHA-256
/// matches the card. Prediction engines are not thread-safe, so each call borrows one from a small pool.
/// </summary>
public sealed partial class GradabilityClassifier
{
    private readonly MLContext _ml = new(seed: 0);
    private readonly ITransformer _model;
    private readonly ConcurrentBag<PredictionEngine<QualityFeatureVector, UngradablePrediction>> _engines = [];

    public GradabilityClassifier(string cardPath, ILogger? logger = null)
    {
        var log = logger ?? NullLogger.Instance;
        Card = GradabilityModelCard.Load(cardPath);
        var bytes = File.ReadAllBytes(Card.ModelPath);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, Card.Sha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            LogRejected(log, Card.ModelPath, Card.Sha256, actual);
            throw new ModelIntegrityException(
                $"Refusing to load gradability model {Card.Name} {Card.Version}: {Card.ModelPath} has SHA-256 {actual}, but its card requires {Card.Sha256}.")
            {
                ModelPath = Card.ModelPath,
                ExpectedSha256 = Card.Sha256,
                ActualSha256 = actual,
            };
        }

        using var stream = new MemoryStream(bytes, writable: false);
        _model = _ml.Model.Load(stream, out _);
        Sha256 = actual;
        LogLoaded(log, Card.Name, Card.Version, actual);
    }

    public GradabilityModelCard Card { get; }

    public string Sha256 { get; }

    /// <summary>Calibrated probability that the photograph cannot be graded.</summary>
    public double ProbabilityUngradable(QualityFeatures features)
    {
        var engine = _engines.TryTake(out var pooled) ? pooled : _ml.Model.CreatePredictionEngine<QualityFeatureVector, UngradablePrediction>(_model);
        try
        {
            return engine.Predict(QualityFeatureVector.From(features)).Probability;
        }
        finally
        {
            _engines.Add(engine);
        }
    }

    public bool IsUngradable(QualityFeatures features) => ProbabilityUngradable(features) >= Card.UngradableThreshold;

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Loaded gradability model {ModelName} {ModelVersion} (SHA-256 {Sha256})")]
    private static partial void LogLoaded(ILogger logger, string modelName, string modelVersion, string sha256);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Critical, Message = "Refused gradability model file {ModelPath}: SHA-256 {ActualSha256} differs from the card's {ExpectedSha256}")]
    private static partial void LogRejected(ILogger logger, string modelPath, string expectedSha256, string actualSha256);
}
