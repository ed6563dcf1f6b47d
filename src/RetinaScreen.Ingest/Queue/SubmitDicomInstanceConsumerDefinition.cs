using MassTransit;

namespace RetinaScreen.Ingest.Queue;

/// <summary>
/// Ingest is disk- and database-bound: a few concurrent submissions keep both busy without thrashing. Retries
/// cover a transient database failure; the ingestor answers most failures itself with a rejection, so a
/// message lands in the _error queue only when even that could not be done.
/// </summary>
public sealed class SubmitDicomInstanceConsumerDefinition : ConsumerDefinition<SubmitDicomInstanceConsumer>
{
    public SubmitDicomInstanceConsumerDefinition()
    {
        EndpointName = "submit-dicom-instance";
        ConcurrentMessageLimit = Math.Max(2, Environment.ProcessorCount);
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitDicomInstanceConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200)));
    }
}
