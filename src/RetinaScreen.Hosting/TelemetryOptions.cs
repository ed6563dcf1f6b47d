namespace RetinaScreen.Hosting;

/// <summary>The "RetinaScreen:Telemetry" section.</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// Where Prometheus scrapes <c>/metrics</c>, e.g. <c>http://127.0.0.1:9464</c>; unset, nothing is served. The
    /// OTLP exporter is configured separately, by the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable.
    /// </summary>
    public Uri? MetricsUrl { get; set; }
}
