using System.Security.Cryptography;
using RetinaScreen.Inference.Grading;
using RetinaScreen.Inference.Models;

namespace RetinaScreen.Inference.Tests;

public sealed class ModelIntegrityTests
{
    [Fact]
    public void REQ_AI_02_shipped_model_matches_its_card_hash()
    {
        var card = ModelCard.Load(ShippedModel.CardPath);
        var actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(card.ModelPath)));

        Assert.Equal(card.Sha256, actual);
        Assert.Equal("dr-grader", card.Name);
        Assert.Equal("0.2.0", card.Version);
        Assert.Contains(card.Outputs, o => o.Name == DrGrader.CamOutputName);
        Assert.True(card.NotForClinicalUse);
        Assert.InRange(card.OperatingPoints.ReferableDr.Threshold, 0.0, 1.0);
        Assert.InRange(card.OperatingPoints.ReferableDme.Threshold, 0.0, 1.0);
        Assert.True(new FileInfo(card.ModelPath).Length < 5 * 1024 * 1024, "model stays under 5 MB");
    }

    [Fact]
    public void REQ_AI_02_grader_loads_the_verified_shipped_model()
    {
        using var grader = new DrGrader(new FundusGradingOptions());

        Assert.Equal(grader.Card.Sha256, grader.Model.Sha256);
        Assert.Equal([-1, 3, 256, 256], grader.Card.Input.Shape);
    }

    [Fact]
    public void REQ_AI_02_tampered_model_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("tampered-").FullName;
        try
        {
            var card = ModelCard.Load(ShippedModel.CardPath);
            var cardCopy = Path.Combine(dir, Path.GetFileName(card.CardPath));
            File.Copy(card.CardPath, cardCopy);
            var bytes = File.ReadAllBytes(card.ModelPath);
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(Path.Combine(dir, card.File), bytes);

            var e = Assert.Throws<ModelIntegrityException>(() => new DrGrader(new FundusGradingOptions { ModelCard = cardCopy }));

            Assert.Equal(card.Sha256, e.ExpectedSha256);
            Assert.NotEqual(card.Sha256, e.ActualSha256);
            Assert.Contains("Refusing to load model dr-grader 0.2.0", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void REQ_AI_02_missing_model_file_is_reported()
    {
        var dir = Directory.CreateTempSubdirectory("missing-").FullName;
        try
        {
            var cardCopy = Path.Combine(dir, "card.json");
            File.Copy(ShippedModel.CardPath, cardCopy);

            Assert.Throws<FileNotFoundException>(() => VerifiedModel.Load(cardCopy));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
