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
        var (bytes, actual) = ReadVerifiedBytes(card.ModelPath, card.Name, card.Version, card.Sha256);
        return new VerifiedModel(card, bytes, actual);
    }

    /// <summary>The bytes of a model file whose SHA-256 is the one its card names; any model kind's loader starts here.
    /// The session is built from these very bytes, so the file cannot change between the check and the load.</summary>
    /// <exception cref="ModelIntegrityException">The file's SHA-256 differs from <paramref name="expectedSha256"/>.</exception>
    public static (byte[] Bytes, string Sha256) ReadVerifiedBytes(string path, string name, string version, string expectedSha256)
    {
        ArgumentNullException.ThrowIfNull(expectedSha256);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file {path} named by card {name} {version} does not exist.", path);
        }

        var bytes = File.ReadAllBytes(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, expectedSha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelIntegrityException(
                $"Refusing to load model {name} {version}: {path} has SHA-256 {actual}, but its card requires {expectedSha256}. " +
                "The file was modified or replaced; restore the shipped file or publish a new card.")
            {
                ModelPath = path,
                ExpectedSha256 = expectedSha256,
                ActualSha256 = actual,
            };
        }

        return (bytes, actual);
    }
}
