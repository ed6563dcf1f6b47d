using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace RetinaScreen.Integration.Tests.Infrastructure;

/// <summary>
/// A real Orthanc (Debian package) on loopback ports with its own SQLite index and storage in a temp folder,
/// knowing the RetinaScreen host under test as the modality "rs". Stopped by its own pid.
/// </summary>
internal sealed class OrthancPeer : IAsyncDisposable
{
    public const string AeTitle = "ORTHANC";
    private readonly ConcurrentQueue<string> _log = new();
    private readonly Process _process;

    private OrthancPeer(Process process, string folder, int httpPort, int dicomPort)
    {
        _process = process;
        Folder = folder;
        HttpPort = httpPort;
        DicomPort = dicomPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Folder { get; }
    public int HttpPort { get; }
    public int DicomPort { get; }
    public HttpClient Http { get; }
    public string Log => string.Join('\n', _log);

    public static async Task<OrthancPeer> StartAsync(int retinaScreenDicomPort, string retinaScreenAeTitle = "RETINASCREEN")
    {
        var executable = ExternalTool.Which("Orthanc")
            ?? throw new InvalidOperationException("'Orthanc' is not installed; the test command installs the Debian package 'orthanc' (see tests/run.sh).");
        var folder = Directory.CreateTempSubdirectory("retinascreen-orthanc-").FullName;
        var httpPort = FreePort.Next();
        var dicomPort = FreePort.Next();
        var config = new Dictionary<string, object>
        {
            ["Name"] = "peer",
            ["StorageDirectory"] = Path.Combine(folder, "db"),
            ["IndexDirectory"] = Path.Combine(folder, "db"),
            ["HttpPort"] = httpPort,
            ["DicomPort"] = dicomPort,
            ["DicomAet"] = AeTitle,
            ["RemoteAccessAllowed"] = false,
            ["AuthenticationEnabled"] = false,
            ["Plugins"] = Array.Empty<string>(),
            ["DicomModalities"] = new Dictionary<string, object> { ["rs"] = new object[] { retinaScreenAeTitle, "127.0.0.1", retinaScreenDicomPort } },
        };
        var configPath = Path.Combine(folder, "orthanc.json");
        await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(config));

        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        start.ArgumentList.Add(configPath);
        var process = Process.Start(start)!;
        var peer = new OrthancPeer(process, folder, httpPort, dicomPort);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) peer._log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) peer._log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Orthanc exited with {process.ExitCode}:\n{peer.Log}");
            }

            try
            {
                using var response = await peer.Http.GetAsync("system");
                if (response.IsSuccessStatusCode)
                {
                    return peer;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        await peer.DisposeAsync();
        throw new TimeoutException("Orthanc did not start.");
    }

    /// <summary>Uploads a Part 10 file over REST; returns Orthanc's instance id.</summary>
    public async Task<string> UploadAsync(string path)
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        using var response = await Http.PostAsync("instances", content);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ID").GetString()!;
    }

    public async Task<byte[]> DownloadAsync(string instanceId) => await Http.GetByteArrayAsync($"instances/{instanceId}/file");

    public async Task<string[]> InstanceIdsAsync() => (await Http.GetFromJsonAsync<string[]>("instances"))!;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
