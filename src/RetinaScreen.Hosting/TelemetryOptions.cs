namespace RetinaScreen.Hosting;

/// <summary>The "RetinaScreen:Telemetry" section.</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// Where Prometheus scrapes <c>/metrics</c>, e.g. <c>http://127.0.0.1:9464</c>; unset, nothing is served. The
    /// OTLP exporter is configured separately, by the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable.
    /// </summary>
    public Uri? MetricsUrl { get; set; }

    /// <summary>How often the RabbitMQ queue depths behind <c>retinascreen.queue.depth</c> are read.</summary>
    public TimeSpan QueueDepthInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The queues measured (<c>RetinaScreen:Telemetry:QueueDepthQueues:0…</c>); empty means the pipeline's own.</summary>
    public string[] QueueDepthQueues { get; set; } = [];

    internal static readonly string[] DefaultQueueDepthQueues =
        ["grade-image", "grade-image_error", "submit-dicom-instance", "submit-dicom-instance_error"];
}
