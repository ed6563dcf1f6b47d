using System.Security.Cryptography;

namespace RetinaScreen.Inference.Models;

/// <summary>A model's bytes whose SHA-256 matched its card. The session is built from these exact bytes, so the file
/// cannot be swapped between the check and the load.</summary>
public sealed record VerifiedModel(ModelCard Card, byte[] Bytes, string Sha256)
{
    /// <summary>Reads the card and its ONNX file, and refuses a file whose hash differs from the card's.</summary>
    /// <exception cref="ModelIntegrityException">The file's SHA-256 differs from the card's.</exception>
    public static VerifiedModel Load(string cardPath)
    {
        var card = ModelCard.Load(cardPath);
        var path = card.ModelPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file {path} named by card {card.Name} {card.Version} does not exist.", path);
        }

        var bytes = File.ReadAllBytes(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, card.Sha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelIntegrityException(
                $"Refusing to load model {card.Name} {card.Version}: {path} has SHA-256 {actual}, but its card requires {card.Sha256}. " +
                "The file was modified or replaced; restore the shipped file or publish a new card.")
            {
                ModelPath = path,
                ExpectedSha256 = card.Sha256,
                ActualSha256 = actual,
            };
        }

        return new VerifiedModel(card, bytes, actual);
    }
}
