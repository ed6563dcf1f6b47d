using System.Net;
using System.Net.Sockets;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// HTTP clients whose connections leave from a chosen loopback address (Linux routes all of 127.0.0.0/8 to the
/// loopback interface), so that the server sees requests from different workstations.
/// </summary>
public static class SourceAddress
{
    public static HttpClient ClientFrom(Uri baseAddress, string source)
    {
        var local = IPAddress.Parse(source);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress };
    }
}
