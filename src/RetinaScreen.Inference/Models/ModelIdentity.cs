namespace RetinaScreen.Inference.Models;

/// <summary>Which model made a decision: what audit records and the model-versions table hold.</summary>
public sealed record ModelIdentity(string Name, string Version, string Sha256);
