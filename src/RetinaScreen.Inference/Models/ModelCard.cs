using System.Text.Json;
using System.Text.Json.Serialization;

namespace RetinaScreen.Inference.Models;

/// <summary>
/// A shipped model's card (models/&lt;name&gt;/&lt;name&gt;-&lt;version&gt;.json): what the model is for, its input contract,
/// outputs, operating points, held-out metrics and the SHA-256 its ONNX file must have.
/// </summary>
public sealed record ModelCard
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { ReadCommentHandling = JsonCommentHandling.Skip };

    public required string Name { get; init; }
    public required string Version { get; init; }

    /// <summary>The ONNX file, relative to the card's folder.</summary>
    public required string File { get; init; }

    /// <summary>Lower-case hex SHA-256 of the ONNX file.</summary>
    public required string Sha256 { get; init; }

    public bool NotForClinicalUse { get; init; }
    public string? IntendedUse { get; init; }
    public required ModelInput Input { get; init; }
    public IReadOnlyList<ModelOutput> Outputs { get; init; } = [];
    public required ModelOperatingPoints OperatingPoints { get; init; }

    /// <summary>Training-data description and metrics, kept as written for audit export.</summary>
    public JsonElement? TrainingData { get; init; }
    public JsonElement? Metrics { get; init; }

    /// <summary>Absolute path of the card this was read from; the ONNX file is resolved against its folder.</summary>
    [JsonIgnore]
    public string CardPath { get; init; } = "";

    [JsonIgnore]
    public string ModelPath => Path.Combine(Path.GetDirectoryName(CardPath) ?? ".", File);

    public static ModelCard Load(string cardPath)
    {
        var full = Path.GetFullPath(cardPath);
        if (!System.IO.File.Exists(full))
        {
            throw new FileNotFoundException($"Model card not found: {full}", full);
        }

        ModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<ModelCard>(System.IO.File.ReadAllBytes(full), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model card {full} is not valid: {e.Message}", e);
        }

        if (card is null || card.Input.Mean.Count != 3 || card.Input.Std.Count != 3 || card.Input.Shape.Count != 4)
        {
            throw new InvalidDataException($"Model card {full} lacks a 4-D input shape or three-channel mean/std.");
        }

        return card with { CardPath = full };
    }
}

/// <summary>The model's single input tensor and how to prepare it.</summary>
public sealed record ModelInput
{
    public required string Name { get; init; }
    public string Type { get; init; } = "float32";

    /// <summary>NCHW; -1 marks the dynamic batch axis.</summary>
    public required IReadOnlyList<int> Shape { get; init; }
    public string ChannelOrder { get; init; } = "RGB";
    public string? Preprocessing { get; init; }

    /// <summary>Per-channel mean and standard deviation on the 0–1 scale.</summary>
    public required IReadOnlyList<float> Mean { get; init; }
    public required IReadOnlyList<float> Std { get; init; }
}

public sealed record ModelOutput(string Name, IReadOnlyList<int> Shape, string? Description);

public sealed record ModelOperatingPoints(OperatingPoint ReferableDr, OperatingPoint ReferableDme);

/// <summary>A decision threshold chosen on validation data, with the rule and the sensitivity/specificity it gave.</summary>
public sealed record OperatingPoint(double Threshold, string? Rule, double? ValidationSensitivity, double? ValidationSpecificity);
