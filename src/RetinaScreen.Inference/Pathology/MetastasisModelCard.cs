using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// The card of a lymph-node metastasis model (models/metastasis/metastasis-&lt;version&gt;.json): the patch input contract,
/// the slide and patch operating points, how patch scores fold into a slide score, and the tissue rule that decides which
/// patches the model sees. Kept apart from the DR <see cref="ModelCard"/>, whose operating points are DR-specific.
/// </summary>
public sealed record MetastasisModelCard
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
    public required MetastasisOperatingPoints OperatingPoints { get; init; }
    public required SlideAggregationRule SlideAggregation { get; init; }
    public required TissueDetectionRule TissueDetection { get; init; }

    /// <summary>Training-data description and metrics, kept as written for audit export.</summary>
    public JsonElement? TrainingData { get; init; }
    public JsonElement? Metrics { get; init; }

    [JsonIgnore]
    public string CardPath { get; init; } = "";

    [JsonIgnore]
    public string ModelPath => Path.Combine(Path.GetDirectoryName(CardPath) ?? ".", File);

    /// <summary>The output tensor's name: the card's first output, "metastasis" by contract.</summary>
    [JsonIgnore]
    public string OutputName => Outputs.Count > 0 ? Outputs[0].Name : "metastasis";

    /// <summary>True when <paramref name="cardPath"/> names a metastasis card (it has a slide aggregation rule) rather
    /// than a DR one: how <c>retinascreen validate</c> tells which kind of model it was given.</summary>
    public static bool IsMetastasisCard(string cardPath)
    {
        using var document = JsonDocument.Parse(System.IO.File.ReadAllBytes(cardPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("slideAggregation", out _);
    }

    public static MetastasisModelCard Load(string cardPath)
    {
        var full = Path.GetFullPath(cardPath);
        if (!System.IO.File.Exists(full))
        {
            throw new FileNotFoundException($"Model card not found: {full}", full);
        }

        MetastasisModelCard? card;
        try
        {
            card = JsonSerializer.Deserialize<MetastasisModelCard>(System.IO.File.ReadAllBytes(full), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model card {full} is not a metastasis model card: {e.Message}", e);
        }

        if (card is null || card.Input.Mean.Count != 3 || card.Input.Std.Count != 3 || card.Input.Shape.Count != 4
            || card.Input.Shape[1] != 3 || card.Input.Shape[2] <= 0 || card.Input.Shape[2] != card.Input.Shape[3])
        {
            throw new InvalidDataException($"Model card {full} lacks an N×3×S×S input shape or three-channel mean/std.");
        }

        if (card.OperatingPoints?.Slide is null)
        {
            throw new InvalidDataException($"Model card {full} has no slide operating point.");
        }

        if (!string.Equals(card.SlideAggregation.Method, SlideAggregationRule.TopKMean, StringComparison.OrdinalIgnoreCase) || card.SlideAggregation.K < 1)
        {
            throw new InvalidDataException($"Model card {full} asks for slide aggregation '{card.SlideAggregation.Method}' (k {card.SlideAggregation.K}); only {SlideAggregationRule.TopKMean} with k ≥ 1 is implemented.");
        }

        card.TissueDetection.Validate(full);
        return card with { CardPath = full };
    }
}

public sealed record MetastasisOperatingPoints(OperatingPoint Slide, OperatingPoint? Patch);

/// <summary>How patch probabilities become the slide's: the mean of the <see cref="K"/> highest over tissue patches.</summary>
public sealed record SlideAggregationRule
{
    public const string TopKMean = "top-k-mean";

    public required string Method { get; init; }
    public int K { get; init; } = 8;

    /// <summary>Side of a patch in slide pixels; the model input's side when absent.</summary>
    public int? PatchSize { get; init; }

    /// <summary>Distance between patch origins; the patch side when absent (a grid without overlap).</summary>
    public int? Stride { get; init; }
    public string? Description { get; init; }
}
