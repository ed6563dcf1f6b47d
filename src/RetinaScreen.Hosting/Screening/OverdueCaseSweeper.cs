using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Screening;

namespace RetinaScreen.Hosting.Screening;

/// <summary>
/// The last line against a case that waits forever: every <see cref="ScreeningOptions.OverdueSweepInterval"/> it counts
/// the cases waiting for a model (the <c>retinascreen.screenings.awaiting_models</c> gauges) and hands those idle past
/// <see cref="ScreeningOptions.ModelAnswerTimeout"/> to the screening module, which sends them to a person as ungradable.
/// A grading failure is normally reported at once (its fault message); this catches what no message reports: a message
/// lost, a worker gone, a fault that could not be recorded. Every process runs it; the per-case lock makes a case change
/// once however many find it.
/// </summary>
public sealed partial class OverdueCaseSweeper(
    IServiceScopeFactory scopes,
    IOptions<ScreeningOptions> options,
    TimeProvider clock,
    ILogger<OverdueCaseSweeper> logger) : BackgroundService
{
    /// <summary>Cases routed per pass; more wait for the next.</summary>
    private const int CasesPerPass = 100;

    /// <summary>The cause tag of a case that waited past its time (<see cref="PipelineTelemetry.ScreeningFailures"/>).</summary>
    public const string TimeoutCause = "model-timeout";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.OverdueSweepInterval, clock, stoppingToken);
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                // The database is away: nothing changed; the next pass finds the same cases.
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <returns>How many cases were sent to a person.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.ModelAnswerTimeout;
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var lifecycle = scope.ServiceProvider.GetRequiredService<ScreeningLifecycle>();
        var waiting = await lifecycle.FindWaitingAsync(now - timeout, CasesPerPass, cancellationToken);
        PipelineTelemetry.ReportCasesAwaitingModels(waiting.Count, waiting.OldestReceivedAt is { } oldest ? now - oldest : TimeSpan.Zero);

        var routed = 0;
        var reason = $"no model answer within {timeout:c}";
        foreach (var studyInstanceUid in waiting.Overdue)
        {
            // One scope per case: a case's lock and tracked entities stay with its own change.
            await using var caseScope = scopes.CreateAsyncScope();
            if (await caseScope.ServiceProvider.GetRequiredService<ScreeningLifecycle>().RecordModelFailureAsync(studyInstanceUid, null, reason, cancellationToken))
            {
                routed++;
                PipelineTelemetry.RecordScreeningFailure(TimeoutCause);
            }
        }

        if (routed > 0)
        {
            LogRouted(logger, routed, timeout);
        }

        return routed;
    }

    [LoggerMessage(EventId = 5050, Level = LogLevel.Warning, Message = "{Count} screening case(s) had no model answer within {Timeout}; sent to a person as ungradable")]
    private static partial void LogRouted(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(EventId = 5051, Level = LogLevel.Warning, Message = "Overdue-case sweep failed; retrying at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
