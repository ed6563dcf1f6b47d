using MassTransit;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// One slide at a time per worker: a slide is thousands of patches, already batched inside the analysis, and two at once
/// would only halve each one's speed and double the memory. More workers analyse more slides. Retries cover a message
/// that outran its database commit or a transient failure; after them MassTransit moves the message to the _error queue.
/// </summary>
public sealed class AnalyzeSlideConsumerDefinition : ConsumerDefinition<AnalyzeSlideConsumer>
{
    public AnalyzeSlideConsumerDefinition()
    {
        EndpointName = "analyze-slide";
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AnalyzeSlideConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
    }
}
