using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RetinaScreen.Hosting;

namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Concurrency is enough to fill a batch: concurrent messages are what the dynamic batching engine gathers into one
/// model run, and each one decodes and preprocesses its photograph on its own core meanwhile. Retries cover a message that outran its database commit or a transient failure;
/// after them MassTransit moves the message to the _error queue.
/// </summary>
public sealed class GradeImageConsumerDefinition : ConsumerDefinition<GradeImageConsumer>
{
    private readonly TimeSpan _yieldToArrivals;

    public GradeImageConsumerDefinition(IOptions<FundusGradingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _yieldToArrivals = TimeSpan.FromMilliseconds(options.Value.YieldToArrivalsMilliseconds);
        EndpointName = "grade-image";
        ConcurrentMessageLimit = options.Value.ConcurrentImages > 0
            ? options.Value.ConcurrentImages
            : Math.Max(Environment.ProcessorCount, options.Value.MaxBatch);
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<GradeImageConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
        if (_yieldToArrivals > TimeSpan.Zero && context.GetService<ArrivalActivity>() is { } arrivals)
        {
            endpointConfigurator.UseExecuteAsync(consume => arrivals.WaitForLullAsync(_yieldToArrivals, consume.CancellationToken));
        }
    }
}
