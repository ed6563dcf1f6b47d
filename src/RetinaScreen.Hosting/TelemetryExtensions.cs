using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RetinaScreen.Hosting;

/// <summary>
/// OpenTelemetry for every process: one trace per instance (ASP.NET Core, the DICOM listener's and the outbox's
/// spans, MassTransit's consume spans in the other process) and the pipeline's metrics, scraped by Prometheus and,
/// where a collector is configured, pushed over OTLP.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>MassTransit 8 names both its ActivitySource and its Meter so.</summary>
    private const string MassTransitInstrumentation = "MassTransit";

    private const string MetricsPath = "/metrics";

    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    internal static IHostApplicationBuilder AddRetinaScreenTelemetry(this IHostApplicationBuilder builder, RetinaScreenOptions settings)
    {
        var options = settings.Telemetry;
        if (options.MetricsUrl is { } metricsUrl)
        {
            RequireLoopback(metricsUrl);
            AddListeningUrl(builder.Configuration, metricsUrl);
        }

        // Without a collector there is nowhere to push to; exporting would only log connection failures.
        var otlp = !string.IsNullOrEmpty(builder.Configuration[OtlpEndpointVariable]);
        // Queue depth is read from the broker only where some exporter will show it.
        if (settings.Bus.Transport == BusTransport.RabbitMq && (options.MetricsUrl is not null || otlp))
        {
            builder.Services.AddHostedService<Telemetry.RabbitMqQueueDepth>();
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(PipelineTelemetry.Name, MassTransitInstrumentation).AddAspNetCoreInstrumentation(aspNetCore =>
                    // Probes and scrapes every few seconds would drown the traces of real work.
                    aspNetCore.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal)
                        && !context.Request.Path.StartsWithSegments(MetricsPath, StringComparison.Ordinal));
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(PipelineTelemetry.Name, MassTransitInstrumentation).AddAspNetCoreInstrumentation();
                if (options.MetricsUrl is not null)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        return builder;
    }

    /// <summary>
    /// Serves the Prometheus scrape on <c>RetinaScreen:Telemetry:MetricsUrl</c> only. A separate loopback listener
    /// rather than the public port behind the portal's Admin role: Prometheus cannot log in to the portal, the
    /// ingest and inference roles have no users at all, and throughput and model mixes are operational detail a
    /// clinic network has no need to see. A scraper on the same node (or a sidecar) reaches it; nobody else can.
    /// The check is on the connection's local port, not the Host header, which a client chooses.
    /// </summary>
    public static WebApplication MapRetinaScreenTelemetry(this WebApplication app)
    {
        var metricsUrl = app.Services.GetRequiredService<IOptions<RetinaScreenOptions>>().Value.Telemetry.MetricsUrl;
        if (metricsUrl is null)
        {
            return app;
        }

        // An endpoint, not a middleware branch: the portal's fallback policy would demand a login of anything that
        // matched no endpoint. Anonymous here, because only the loopback listener's connections get past the check.
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(next => context =>
        {
            if (context.Connection.LocalPort != metricsUrl.Port)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        }), optionsName: null).AllowAnonymous();
        return app;
    }

    private static void RequireLoopback(Uri metricsUrl)
    {
        if (!IPAddress.TryParse(metricsUrl.Host, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new OptionsValidationException("RetinaScreen:Telemetry:MetricsUrl", typeof(TelemetryOptions),
                ["The metrics URL must name a loopback address (e.g. http://127.0.0.1:9464): the scrape has no login."]);
        }
    }

    /// <summary>
    /// Adds the management URL to the ones the process already listens on. Kestrel takes either URLs or endpoints
    /// set in code, never both, so the extra listener has to join the configured "urls" list.
    /// </summary>
    private static void AddListeningUrl(IConfigurationManager configuration, Uri metricsUrl)
    {
        var existing = configuration["urls"];
        if (string.IsNullOrEmpty(existing))
        {
            // What Kestrel would have chosen: the container images' HTTP_PORTS, else its own default.
            var ports = configuration["http_ports"];
            existing = string.IsNullOrEmpty(ports)
                ? "http://localhost:5000"
                : string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(port => $"http://*:{port}"));
        }

        configuration.AddInMemoryCollection([new("urls", $"{existing};{metricsUrl.GetLeftPart(UriPartial.Authority)}")]);
    }
}
