using MassTransit;

namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Concurrency follows the CPU (or, on a GPU worker, the batch slots): more concurrent gradings than cores only
/// queue inside ONNX Runtime. Retries cover a message that outran its database commit or a transient failure;
/// after them MassTransit moves the message to the _error queue.
/// </summary>
public sealed class GradeImageConsumerDefinition : ConsumerDefinition<GradeImageConsumer>
{
    public GradeImageConsumerDefinition()
    {
        EndpointName = "grade-image";
        ConcurrentMessageLimit = Math.Max(1, Environment.ProcessorCount);
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GradeImageConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
    }
}
