using System.Net;
using System.Net.Sockets;

namespace RetinaScreen.Integration.Tests.Infrastructure;

internal static class FreePort
{
    /// <summary>
    /// Below Linux's ephemeral range (32768-60999): a port the OS handed out for port 0 could be taken by an outgoing
    /// connection's local end (to PostgreSQL, RabbitMQ, another role) before the process it was meant for binds it.
    /// </summary>
    private const int First = 20_000;
    private const int Last = 32_000;

    private static readonly HashSet<int> Given = [];

    /// <summary>A loopback port free at the moment of asking, never handed out twice by this test process.</summary>
    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1_000; attempt++)
            {
                var port = Random.Shared.Next(First, Last);
                if (Given.Contains(port))
                {
                    continue;
                }

                try
                {
                    using var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                }
                catch (SocketException)
                {
                    continue;
                }

                Given.Add(port);
                return port;
            }

            throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
        }
    }
}
