using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>
/// The reading room's browser tests run one class at a time, after the parallel collections: each drives Chromium
/// against a real host that grades photographs on the same two cores, and the race test must not race other tests.
/// The host they share routes every case to a person, needs two readings of each fundus case and shows the model.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReadingRoomCollection : ICollectionFixture<DoubleReadHost>
{
    public const string Name = "Reading room in the browser";
}

/// <summary>Every graded case to a person (fundus and slides), every fundus case read twice, the model never hidden.</summary>
public sealed class DoubleReadHost : EmbeddedHost
{
    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Reading__QualitySampleFraction"] = "1",
        ["RetinaScreen__Reading__SecondReadFraction"] = "1",
        ["RetinaScreen__Reading__BlindFraction"] = "0",
        ["RetinaScreen__Reading__PathologySampleFraction"] = "1",
    };
}

/// <summary>Every graded fundus case to a person, read once, the model never hidden.</summary>
public sealed class SingleReadHost : EmbeddedHost
{
    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Reading__QualitySampleFraction"] = "1",
        ["RetinaScreen__Reading__SecondReadFraction"] = "0",
        ["RetinaScreen__Reading__BlindFraction"] = "0",
    };
}
