using System.Collections.Concurrent;
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

    public static readonly Histogram<double> IngestDuration =
        Meter.CreateHistogram<double>("retinascreen.ingest.duration", unit: "ms", description: "One arrival validated, stored and recorded (tagged by result).");

    public static readonly Histogram<double> PreprocessDuration =
        Meter.CreateHistogram<double>("retinascreen.grading.preprocess.duration", unit: "ms", description: "Decoding and preparing a photograph for the model.");

    public static readonly Histogram<double> InferenceDuration =
        Meter.CreateHistogram<double>("retinascreen.grading.inference.duration", unit: "ms", description: "The model's run on one photograph.");

    /// <summary>Tagged with the model's name and version only, so a dashboard can compare versions in shadow mode.</summary>
    public static readonly Counter<long> Predictions =
        Meter.CreateCounter<long>("retinascreen.predictions", description: "Predictions committed, per model name and version.");

    /// <summary>
    /// Photographs and cases that ended without a model's answer for a reason other than image quality, tagged by cause:
    /// <c>image-damaged</c> and <c>image-undecodable</c> (a photograph answered ungradable because it could not be
    /// decoded whole), <c>grading-fault</c> (grading failed after every retry) and <c>model-timeout</c> (a case waited
    /// past <c>RetinaScreen:Screening:ModelAnswerTimeout</c>); the latter two send the case to a person.
    /// </summary>
    public static readonly Counter<long> ScreeningFailures =
        Meter.CreateCounter<long>("retinascreen.screenings.failed", description: "Images or cases a model could not answer for, by cause.");

    private static WaitingSnapshot? _waiting;

    /// <summary>Cases waiting for a model's answer, as the last overdue-case sweep counted them.</summary>
    public static readonly ObservableGauge<long> CasesAwaitingModels = Meter.CreateObservableGauge(
        "retinascreen.screenings.awaiting_models",
        () => Volatile.Read(ref _waiting) is { } waiting ? [new Measurement<long>(waiting.Count)] : Array.Empty<Measurement<long>>(),
        description: "Screening cases waiting for a model's answer.");

    /// <summary>How long the longest-waiting case has waited; 0 when none waits. A value near the timeout means cases are stuck.</summary>
    public static readonly ObservableGauge<double> OldestCaseAwaitingModels = Meter.CreateObservableGauge(
        "retinascreen.screenings.awaiting_models.oldest_age",
        () => Volatile.Read(ref _waiting) is { } waiting ? [new Measurement<double>(waiting.OldestAgeSeconds)] : Array.Empty<Measurement<double>>(),
        unit: "s",
        description: "Age of the oldest screening case still waiting for a model's answer.");

    public static void RecordScreeningFailure(string cause) => ScreeningFailures.Add(1, new KeyValuePair<string, object?>("cause", cause));

    /// <summary>The latest count of cases waiting for the models and the age of the oldest.</summary>
    public static void ReportCasesAwaitingModels(int count, TimeSpan oldestAge) =>
        Volatile.Write(ref _waiting, new WaitingSnapshot(count, Math.Max(0, oldestAge.TotalSeconds)));

    private sealed record WaitingSnapshot(long Count, double OldestAgeSeconds);

    private static readonly ConcurrentDictionary<string, long> QueueDepths = new(StringComparer.Ordinal);

    /// <summary>
    /// Messages waiting in each of the pipeline's broker queues (RabbitMQ only: the in-memory transport has no queue
    /// to measure, so the embedded mode reports none). Tagged by queue name, which names a stage, never a patient.
    /// </summary>
    public static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge(
        "retinascreen.queue.depth",
        () => QueueDepths.Select(queue => new Measurement<long>(queue.Value, new KeyValuePair<string, object?>("queue", queue.Key))),
        description: "Messages ready in a broker queue, read by a passive declare.");

    /// <summary>The latest depth of <paramref name="queue"/>; null when it could not be read (then no value is reported).</summary>
    public static void ReportQueueDepth(string queue, long? depth)
    {
        if (depth is { } value)
        {
            QueueDepths[queue] = value;
        }
        else
        {
            QueueDepths.TryRemove(queue, out _);
        }
    }

    /// <summary>Records one committed prediction's counts and stage timings under its model's identity.</summary>
    public static void RecordPrediction(string modelName, string modelVersion, bool shadow, double preprocessMilliseconds, double inferenceMilliseconds)
    {
        var tags = new TagList { { "model.name", modelName }, { "model.version", modelVersion }, { "shadow", shadow } };
        Predictions.Add(1, tags);
        PreprocessDuration.Record(preprocessMilliseconds, tags);
        InferenceDuration.Record(inferenceMilliseconds, tags);
    }
}
