using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RetinaScreen.Dicom.Tests.Network;

/// <summary>DCMTK's storescp on a free loopback port, accepting every transfer syntax.</summary>
internal sealed class DcmtkStoreScp : IAsyncDisposable
{
    private readonly Process _process;

    private DcmtkStoreScp(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<DcmtkStoreScp> StartAsync(string outputFolder)
    {
        var port = FreePort();
        var process = Dcmtk.Start("storescp", $"+xa -aet STORESCP -od \"{outputFolder}\" {port}");

        // Keep the pipes drained so a chatty storescp never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var scp = new DcmtkStoreScp(process, port);
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            if (process.HasExited)
            {
                Assert.Fail("storescp exited: " + await process.StandardError.ReadToEndAsync());
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return scp;
            }
            catch (SocketException) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
