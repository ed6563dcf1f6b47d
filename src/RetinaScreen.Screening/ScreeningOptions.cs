using System.ComponentModel.DataAnnotations;

namespace RetinaScreen.Screening;

/// <summary>How long a case may wait for the models (<c>RetinaScreen:Screening</c>).</summary>
public sealed class ScreeningOptions
{
    public const string SectionName = "RetinaScreen:Screening";

    /// <summary>
    /// A case still waiting for a model's answer this long after its last image arrived (or a slide analysis last
    /// reported progress) goes to a person as ungradable, with the wait as its reason: no case waits unseen because a
    /// message was lost or a worker is down. Long enough for a backlog after an outage to drain.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan ModelAnswerTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often each process looks for cases past <see cref="ModelAnswerTimeout"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan OverdueSweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
