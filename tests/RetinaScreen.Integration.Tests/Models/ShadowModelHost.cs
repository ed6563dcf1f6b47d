using System.Text.Json.Nodes;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Models;

/// <summary>
/// The embedded host with a candidate DR model in shadow: the shipped model's file under a card of its own version
/// ("-candidate"), so the host has two verified model versions and stores both answers.
/// </summary>
public sealed class ShadowModelHost : EmbeddedHost
{
    public const string CandidateVersion = "0.2.0-candidate";

    public ShadowModelHost()
    {
        var models = Path.Combine(RepositoryPaths.Root, "models", "dr-grader");
        var folder = Path.Combine(DataPath, "candidate");
        Directory.CreateDirectory(folder);
        var card = JsonNode.Parse(File.ReadAllText(Path.Combine(models, "dr-grader-0.2.0.json")))!;
        File.Copy(Path.Combine(models, card["file"]!.GetValue<string>()), Path.Combine(folder, "candidate.onnx"));
        card["version"] = CandidateVersion;
        card["file"] = "candidate.onnx";
        CandidateCard = Path.Combine(folder, "candidate.json");
        File.WriteAllText(CandidateCard, card.ToJsonString());
    }

    public string CandidateCard { get; }

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides => new Dictionary<string, string>
    {
        ["RetinaScreen__Inference__ShadowModelCard"] = CandidateCard,
    };
}
