using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RetinaScreen.Data;
using RetinaScreen.Screening;
using RetinaScreen.Data.Outbox;
using RetinaScreen.Data.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using RetinaScreen.Hosting.Logging;
using RetinaScreen.Hosting.Operations;
using RetinaScreen.Hosting.Outbox;
using RetinaScreen.Hosting.Schema;
using RetinaScreen.Hosting.Screening;
using RetinaScreen.Hosting.Storage;

namespace RetinaScreen.Hosting;

/// <summary>
/// What every RetinaScreen process composes before its role modules: configuration, database, object store,
/// message bus and health endpoints. The embedded host and the per-role hosts call the same code.
/// </summary>
public static class RetinaScreenHostingExtensions
{
    private const string ReadyTag = "ready";

    /// <param name="configureConsumers">Each role module adds its consumers here; the bus is configured once.</param>
    public static IHostApplicationBuilder AddRetinaScreenDefaults(
        this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> configureConsumers)
    {
        var section = builder.Configuration.GetSection(RetinaScreenOptions.SectionName);
        builder.Services.Configure<RetinaScreenOptions>(section);
        var options = section.Get<RetinaScreenOptions>() ?? new RetinaScreenOptions();

        // Logged values come from devices and users: the console log is written by the formatter that escapes what could
        // forge a line, or as JSON (which escapes it too) where a deployment asks for that; never raw.
        builder.Logging.AddConsole(console =>
        {
            if (console.FormatterName != ConsoleFormatterNames.Json)
            {
                console.FormatterName = EscapingConsoleFormatter.FormatterName;
            }
        });
        builder.Logging.AddConsoleFormatter<EscapingConsoleFormatter, ConsoleFormatterOptions>();

        builder.AddRetinaScreenData();
        builder.AddScreening();
        builder.AddRetinaScreenTelemetry(options);

        var objectStoreCheck = builder.AddRetinaScreenObjectStore(options);

        // Every process may dispatch the outbox: ingest writes the rows, but any replica left running empties it.
        builder.Services.TryAddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<ArrivalActivity>();
        builder.Services.AddHostedService<OutboxDispatcher>();
        builder.Services.AddHostedService<OverdueCaseSweeper>();
        builder.Services.AddSingleton<RabbitMqDeadLetters>();

        var redelivery = options.Bus.RedeliveryIntervals.Length > 0 ? options.Bus.RedeliveryIntervals : BusOptions.DefaultRedeliveryIntervals;
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                // Durable, replicated queues; RabbitMQ 3.10 runs quorum queues on a single node as well.
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbitEndpoint)
                {
                    rabbitEndpoint.SetQuorumQueue();
                }

                // The outer, slow layer; each consumer definition adds its quick exponential retries inside it.
                endpoint.UseMessageRetry(retry => retry.Intervals(redelivery));
            });
            configureConsumers(bus);

            switch (options.Bus.Transport)
            {
                case BusTransport.RabbitMq:
                    var rabbit = options.Bus.RabbitMq;
                    if (string.IsNullOrEmpty(rabbit.Username) || string.IsNullOrEmpty(rabbit.Password))
                    {
                        throw new OptionsValidationException(
                            "RetinaScreen:Bus:RabbitMq", typeof(RabbitMqOptions),
                            ["RabbitMQ credentials are required (RetinaScreen__Bus__RabbitMq__Username / __Password); there is no default."]);
                    }

                    bus.UsingRabbitMq((context, cfg) =>
                    {
                        cfg.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
                        {
                            h.Username(rabbit.Username);
                            h.Password(rabbit.Password);
                            // Publish returns only once the broker has the message (the outbox relies on it).
                            h.PublisherConfirmation = true;
                        });
                        cfg.ConfigureEndpoints(context);
                    });
                    break;
                default:
                    bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
                    break;
            }
        });

        builder.Services.AddHealthChecks()
            .AddDbContextCheck<RetinaScreenDbContext>("database", tags: [ReadyTag])
            .AddCheck<SchemaReadiness.HealthCheck>("schema", tags: [ReadyTag]);
        if (objectStoreCheck)
        {
            builder.Services.AddHealthChecks().AddCheck<ObjectStoreReadiness>("object-store", tags: [ReadyTag]);
        }

        return builder;
    }

    /// <summary>
    /// The object store of <c>RetinaScreen:Storage:Provider</c>: a folder (default) or an S3-compatible service,
    /// whose address, bucket and keys must all be set (no defaults for the keys).
    /// </summary>
    /// <returns>Whether the store is remote and so gets a readiness check.</returns>
    private static bool AddRetinaScreenObjectStore(this IHostApplicationBuilder builder, RetinaScreenOptions options)
    {
        if (options.Storage.Provider != StorageProvider.S3)
        {
            var objectsPath = options.Storage.Path ?? Path.Combine(options.DataPath, "objects");
            builder.Services.AddSingleton<FileObjectStore>(_ => new FileObjectStore(objectsPath));
            builder.Services.AddSingleton<IObjectStore>(sp => sp.GetRequiredService<FileObjectStore>());
            return false;
        }

        var s3 = options.Storage.S3;
        List<string> failures = [];
        if (!Uri.TryCreate(s3.ServiceUrl, UriKind.Absolute, out var serviceUrl) || serviceUrl.Scheme is not ("http" or "https"))
        {
            failures.Add("RetinaScreen__Storage__S3__ServiceUrl must be an http(s) address.");
        }

        if (string.IsNullOrWhiteSpace(s3.Bucket))
        {
            failures.Add("RetinaScreen__Storage__S3__Bucket is required.");
        }

        if (string.IsNullOrEmpty(s3.AccessKey) || string.IsNullOrEmpty(s3.SecretKey))
        {
            failures.Add("S3 credentials are required (RetinaScreen__Storage__S3__AccessKey / __SecretKey); there is no default.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("RetinaScreen:Storage:S3", typeof(S3StorageOptions), failures);
        }

        var settings = new S3ObjectStoreSettings(serviceUrl!, s3.Bucket!, s3.AccessKey!, s3.SecretKey!) { Region = s3.Region };
        builder.Services.AddSingleton(_ => new S3ObjectStore(settings));
        builder.Services.AddSingleton<IObjectStore>(sp => sp.GetRequiredService<S3ObjectStore>());
        return true;
    }

    /// <summary>
    /// <c>/health/live</c>: the process answers (no dependency checked, so an orchestrator does not restart a
    /// healthy process because the database blinked). <c>/health/ready</c>: database and bus are usable.
    /// </summary>
    public static WebApplication MapRetinaScreenHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            // MassTransit registers its bus check with the "ready" tag as well.
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).AllowAnonymous();
        return app;
    }

    /// <summary>Applies migrations, clears what a crashed process may have left half-written, and checks the object store.</summary>
    public static async Task PrepareRetinaScreenStorageAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await services.MigrateRetinaScreenDatabaseAsync(cancellationToken);
        switch (services.GetRequiredService<IObjectStore>())
        {
            case FileObjectStore folder:
                folder.CleanIncoming();
                break;
            case S3ObjectStore s3:
                // Fail at start, not at the first arrival, when the bucket or the keys are wrong.
                await s3.EnsureBucketReachableAsync(cancellationToken);
                break;
        }
    }
}
