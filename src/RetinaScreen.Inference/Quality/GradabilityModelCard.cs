using System.Text.Json;
using System.Text.Json.Serialization;

namespace RetinaScreen.Inference.Quality;

/// <summary>
/// The gradability classifier's card (models/gradability/gradability-&lt;version&gt;.json): the ML.NET model file and its
/// SHA-256, the features in order, the operating point on P(ungradable), and held-out metrics.
/// </summary>
public sealed record GradabilityModelCard
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string File { get; init; }
    public required string Sha256 { get; init; }
    public bool NotForClinicalUse { get; init; } = true;
    public string? IntendedUse { get; init; }
    public IReadOnlyList<string> Features { get; init; } = [];

    /// <summary>A photograph whose calibrated P(ungradable) is at or above this is refused.</summary>
    public required double UngradableThreshold { get; init; }
    public string? ThresholdRule { get; init; }
    public JsonElement? TrainingData { get; init; }
    public JsonElement? Metrics { get; init; }
    public JsonElement? Training { get; init; }

    [JsonIgnore]
    public string CardPath { get; init; } = "";

    [JsonIgnore]
    public string ModelPath => Path.Combine(Path.GetDirectoryName(CardPath) ?? ".", File);

    public static GradabilityModelCard Load(string cardPath)
    {
        var full = Path.GetFullPath(cardPath);
        if (!System.IO.File.Exists(full))
        {
            throw new FileNotFoundException($"Gradability model card not found: {full}", full);
        }

        try
        {
            var card = JsonSerializer.Deserialize<GradabilityModelCard>(System.IO.File.ReadAllBytes(full), JsonOptions)
                ?? throw new InvalidDataException($"Gradability model card {full} is empty.");
            return card with { CardPath = full };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Gradability model card {full} is not valid: {e.Message}", e);
        }
    }

    public void Save(string path) => System.IO.File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");
}
