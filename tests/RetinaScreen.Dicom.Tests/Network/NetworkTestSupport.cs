using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Dicom.Network.Pdus;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Dicom.Tests.Network;

internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rs-net-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed record ToolResult(int ExitCode, string Output);

/// <summary>Runs DCMTK command-line tools; a missing tool makes the test fail, never skip.</summary>
internal static class Dcmtk
{
    public static async Task<ToolResult> RunAsync(string tool, string arguments, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        using var process = Start(tool, arguments, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {arguments} did not finish in time.");
        }

        return new ToolResult(process.ExitCode, await stdout + await stderr);
    }

    public static Process Start(string tool, string arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"DCMTK tool '{tool}' is required for this test but could not be started (install dcmtk).", ex);
        }
    }

    public static async Task<ToolResult> RunOkAsync(string tool, string arguments)
    {
        var result = await RunAsync(tool, arguments);
        Assert.True(result.ExitCode == 0, $"{tool} {arguments} failed with {result.ExitCode}:\n{result.Output}");
        return result;
    }
}

internal static class TestImages
{
    /// <summary>A JPEG baseline Secondary Capture made by img2dcm from a JPEG that ImageSharp writes.</summary>
    public static async Task<string> CreateJpegDicomAsync(string folder, string name, int width = 96, int height = 64, int seed = 0)
    {
        var jpeg = Path.Combine(folder, name + ".jpg");
        using (var image = new Image<Rgb24>(width, height))
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    image[x, y] = new Rgb24((byte)(x * 3 + seed), (byte)(y * 4), (byte)((x + y + seed) * 2));
                }
            }

            await image.SaveAsJpegAsync(jpeg);
        }

        var dicom = Path.Combine(folder, name + ".dcm");
        await Dcmtk.RunOkAsync("img2dcm", $"\"{jpeg}\" \"{dicom}\"");
        return dicom;
    }

    /// <summary>The same image decompressed to explicit VR little endian.</summary>
    public static async Task<string> CreateUncompressedDicomAsync(string folder, string name, int width = 96, int height = 64, int seed = 0)
    {
        var jpegDicom = await CreateJpegDicomAsync(folder, name + "-jpeg", width, height, seed);
        var dicom = Path.Combine(folder, name + ".dcm");
        await Dcmtk.RunOkAsync("dcmdjpeg", $"\"{jpegDicom}\" \"{dicom}\"");
        File.Delete(jpegDicom);
        return dicom;
    }

    public static byte[] DataSetBytes(string part10Path)
    {
        var bytes = File.ReadAllBytes(part10Path);
        var (_, offset) = Part10MetaReader.Parse(bytes, part10Path);
        return bytes[(int)offset..];
    }
}

/// <summary>Keeps every received file (moving it, as a real handler takes ownership) and what the server told it.</summary>
internal sealed class RecordingStoreHandler : IDicomStoreHandler
{
    private readonly string _keepFolder;

    public RecordingStoreHandler(string keepFolder)
    {
        _keepFolder = keepFolder;
    }

    public ConcurrentQueue<(DicomStoreRequest Request, string KeptPath)> Received { get; } = new();

    public Func<DicomStoreRequest, DicomStoreResult>? Behaviour { get; set; }

    public Task<DicomStoreResult> StoreAsync(DicomStoreRequest request, CancellationToken cancellationToken)
    {
        Assert.True(File.Exists(request.Part10FilePath));
        var kept = Path.Combine(_keepFolder, request.SopInstanceUid + ".dcm");
        File.Move(request.Part10FilePath, kept, overwrite: true);
        Received.Enqueue((request, kept));
        return Task.FromResult(Behaviour?.Invoke(request) ?? DicomStoreResult.Success);
    }
}

internal sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(TempFolder folder, DicomServer server, RecordingStoreHandler handler)
    {
        Folder = folder;
        Server = server;
        Handler = handler;
    }

    public TempFolder Folder { get; }

    public DicomServer Server { get; }

    public RecordingStoreHandler Handler { get; }

    public int Port => Server.BoundPort;

    public static async Task<ServerHarness> StartAsync(Action<DicomServerOptions>? configure = null, IDicomStoreHandler? handler = null)
    {
        var folder = new TempFolder();
        var options = new DicomServerOptions
        {
            Port = 0,
            BindAddress = "127.0.0.1",
            AeTitle = "RETINASCREEN",
            TempDirectory = folder.Sub("incoming"),
            FlushTempFileToDisk = false,
        };
        configure?.Invoke(options);
        var recording = new RecordingStoreHandler(folder.Sub("kept"));
        var server = new DicomServer(options, handler ?? recording);
        await server.StartAsync();
        return new ServerHarness(folder, server, recording);
    }

    public string[] IncomingFiles() => Directory.GetFiles(Server.TempDirectory);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Folder.Dispose();
    }
}

/// <summary>A hand-driven peer for protocol-level tests.</summary>
internal sealed class RawPeer : IDisposable
{
    private RawPeer(TcpClient client)
    {
        Client = client;
        Stream = client.GetStream();
    }

    public TcpClient Client { get; }

    public NetworkStream Stream { get; }

    public static async Task<RawPeer> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        return new RawPeer(client);
    }

    public static byte[] AssociateRequest(string calledAe, params (byte Id, string AbstractSyntax, string[] TransferSyntaxes)[] contexts)
    {
        var pdu = new AssociatePdu { CalledAeTitle = calledAe, CallingAeTitle = "RAWPEER" };
        foreach (var (id, abstractSyntax, transferSyntaxes) in contexts)
        {
            pdu.Proposals.Add(new PresentationContextProposal(id, abstractSyntax, transferSyntaxes));
        }

        pdu.UserInformation.MaxPduLength = 16384;
        pdu.UserInformation.ImplementationClassUid = "1.2.3.4";
        using var builder = new PduBuilder();
        pdu.Write(builder, PduType.AssociateRequest);
        return builder.WrittenSpan.ToArray();
    }

    public async Task SendAsync(byte[] bytes) => await Stream.WriteAsync(bytes);

    /// <summary>Reads one PDU (type and body), or null at end of stream.</summary>
    public async Task<(byte Type, byte[] Body)?> ReadPduAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[6];
        var read = await Stream.ReadAtLeastAsync(header, 6, throwOnEndOfStream: false, cts.Token);
        if (read < 6)
        {
            return null;
        }

        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2));
        var body = new byte[length];
        await Stream.ReadExactlyAsync(body, cts.Token);
        return (header[0], body);
    }

    /// <summary>True when the server closed the connection (EOF or reset) within the timeout.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (await Stream.ReadAsync(buffer, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => Client.Dispose();
}
