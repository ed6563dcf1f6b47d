using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RetinaScreen.Hosting.Security;

namespace RetinaScreen.Hosting.Operations;

/// <summary>
/// Operations API for administrators: <c>GET /api/admin/dead-letters</c> lists the messages in the <c>_error</c>
/// queues, <c>POST /api/admin/dead-letters/replay</c> moves them back to their endpoints. Mapped by the hosts that
/// serve the portal (they configure authentication; the policy is <see cref="AccessPolicies.AdminOnly"/>).
/// </summary>
public static class OperationsEndpoints
{
    private const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(AccessPolicies.AdminOnly);

        admin.MapGet("/dead-letters", async (int? limit, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            if (TransportOf(services) != BusTransport.RabbitMq)
            {
                return NotKept();
            }

            var list = await services.GetRequiredService<RabbitMqDeadLetters>().ListAsync(Clamp(limit), cancellationToken);
            return Results.Ok(new DeadLetterList(nameof(BusTransport.RabbitMq), list));
        });

        admin.MapPost("/dead-letters/replay", async (int? limit, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            if (TransportOf(services) != BusTransport.RabbitMq)
            {
                return NotKept();
            }

            var replayed = await services.GetRequiredService<RabbitMqDeadLetters>().ReplayAsync(Clamp(limit), cancellationToken);
            return Results.Ok(new DeadLetterReplay(replayed));
        });

        return app;
    }

    private static BusTransport TransportOf(IServiceProvider services) =>
        services.GetRequiredService<IOptions<RetinaScreenOptions>>().Value.Bus.Transport;

    private static int Clamp(int? limit) => Math.Clamp(limit ?? 100, 1, MaxLimit);

    // The in-memory transport keeps faulted messages only in memory, with no API to read them: say so plainly.
    private static IResult NotKept() => Results.Problem(
        title: "Dead letters are kept by RabbitMQ",
        detail: "The embedded mode's in-memory bus does not keep faulted messages for inspection; see the log.",
        statusCode: StatusCodes.Status501NotImplemented);
}
