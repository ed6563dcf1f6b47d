using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RetinaScreen.Hosting;

/// <summary>
/// The pipeline's own trace source and meter (MassTransit, ASP.NET Core and the database add theirs). Names and
/// tags carry no patient data: stages, model identities and counts only.
/// </summary>
public static class PipelineTelemetry
{
    public const string Name = "RetinaScreen";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> OutboxDispatched =
        Meter.CreateCounter<long>("retinascreen.outbox.dispatched", description: "Outbox messages published and confirmed by the broker.");

    public static readonly Histogram<double> OutboxLatency =
        Meter.CreateHistogram<double>("retinascreen.outbox.latency", unit: "ms", description: "From the committed write to the confirmed publish.");
}
