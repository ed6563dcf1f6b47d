using MassTransit;

namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Quick retries for a database that blinked while the case is routed; a fault that cannot be recorded at all is
/// still caught by the overdue-case sweep (<c>RetinaScreen:Screening:ModelAnswerTimeout</c>).
/// </summary>
public sealed class GradingFaultConsumerDefinition : ConsumerDefinition<GradingFaultConsumer>
{
    public GradingFaultConsumerDefinition()
    {
        EndpointName = "grading-fault";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GradingFaultConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
    }
}
