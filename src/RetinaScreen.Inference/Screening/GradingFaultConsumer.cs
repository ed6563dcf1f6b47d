using MassTransit;
using Microsoft.Extensions.Logging;
using RetinaScreen.Contracts;
using RetinaScreen.Hosting;
using RetinaScreen.Screening;

namespace RetinaScreen.Inference.Screening;

/// <summary>
/// Takes the fault MassTransit publishes when grading or analysing an image failed after every retry (the message then
/// lies in the endpoint's <c>_error</c> queue) and has the screening module send the image's case to a person as
/// ungradable, with the failure as its reason: a faulted message never leaves its case waiting unseen, in the embedded
/// mode (in-memory transport) as in the distributed one. A later successful replay still records its answer.
/// </summary>
public sealed partial class GradingFaultConsumer(ScreeningLifecycle lifecycle, ILogger<GradingFaultConsumer> logger) : IConsumer<Fault<ImageReceived>>
{
    /// <summary>The cause tag of a case sent to a person this way (<see cref="PipelineTelemetry.ScreeningFailures"/>).</summary>
    public const string FaultCause = "grading-fault";

    public async Task Consume(ConsumeContext<Fault<ImageReceived>> context)
    {
        var fault = context.Message;
        var image = fault.Message;
        // The exception's type names the failure without its message, which could quote data.
        var failure = fault.Exceptions is { Length: > 0 } exceptions ? ShortName(exceptions[0].ExceptionType) : "unknown error";
        var reason = $"grading failed after every retry ({failure})";
        if (await lifecycle.RecordModelFailureAsync(image.StudyInstanceUid, image.SopInstanceUid, reason, context.CancellationToken))
        {
            PipelineTelemetry.RecordScreeningFailure(FaultCause);
            LogRouted(logger, failure);
        }
    }

    private static string ShortName(string? exceptionType) =>
        string.IsNullOrEmpty(exceptionType) ? "unknown error" : exceptionType[(exceptionType.LastIndexOf('.') + 1)..];

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Grading an image failed after every retry ({Failure}); its case was sent to a person as ungradable")]
    private static partial void LogRouted(ILogger logger, string failure);
}
