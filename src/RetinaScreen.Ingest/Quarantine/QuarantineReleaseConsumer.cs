using MassTransit;
using RetinaScreen.Contracts;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.Quarantine;

/// <summary>
/// Records a quarantined object an administrator released in the portal. Ingest owns recording arrivals, so the
/// portal only asks (through its outbox) and this consumer does it by the ingestor's own path.
/// </summary>
public sealed class QuarantineReleaseConsumer(InstanceIngestor ingestor) : IConsumer<QuarantineReleaseRequested>
{
    public Task Consume(ConsumeContext<QuarantineReleaseRequested> context) =>
        ingestor.ReleaseAsync(context.Message.QuarantineId, context.CancellationToken);
}

/// <summary>Releases are rare and each is one arrival's work; retries cover a transient database failure.</summary>
public sealed class QuarantineReleaseConsumerDefinition : ConsumerDefinition<QuarantineReleaseConsumer>
{
    public QuarantineReleaseConsumerDefinition()
    {
        EndpointName = "release-quarantined-instance";
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<QuarantineReleaseConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
    }
}
