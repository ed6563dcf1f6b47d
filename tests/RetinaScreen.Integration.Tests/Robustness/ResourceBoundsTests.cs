using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using RetinaScreen.Cli.Devices;
using RetinaScreen.Integration.Tests.Infrastructure;
using RetinaScreen.Integration.Tests.Ingest;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>The product's defaults for devices, with small limits so that crossing them costs the tests little.</summary>
public sealed class BoundedHost : EmbeddedHost
{
    public const int PhotographMegabytes = 8;
    public const int AssociationsPerPeer = 2;

    protected override bool AcceptsUnregisteredDevices => false;

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Ingest__MaxPhotographMegabytes"] = PhotographMegabytes.ToString(CultureInfo.InvariantCulture),
        ["RetinaScreen__Dicom__MaxAssociationsPerPeer"] = AssociationsPerPeer.ToString(CultureInfo.InvariantCulture),
        ["RetinaScreen__Ingest__MaxStowRequestsPerPeer"] = "1",
    };
}

/// <summary>Senders that try to exhaust disk, connections or request slots against the real host process.</summary>
public sealed class ResourceBoundsTests(BoundedHost host) : IClassFixture<BoundedHost>, IDisposable
{
    private const string Boundary = "resource-bounds-boundary";
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-bounds-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_ING_30_An_over_limit_photograph_stream_is_aborted_long_before_it_ends_and_nothing_is_kept()
    {
        await RegisterAsync("BIGSENDER");
        var before = await new DatabaseProbe(DataFolder).AllInstancesAsync();
        const long offered = 256L * 1024 * 1024;
        var (sent, answer) = await RawStore.StreamAsync(host.DicomPort, "BIGSENDER", RawAssociation.OphthalmicPhotography8Bit, offered);

        // A-ABORT (or the connection closed under the sender) well before the 256 MiB were through: the limit is
        // 8 MiB, and only the sockets' buffers lie between the two ends.
        Assert.True(answer is RawStore.Aborted or RawStore.Closed, $"answer {answer}");
        Assert.True(sent < 64L * 1024 * 1024, $"{sent} bytes were sent before the transfer was stopped");
        Assert.Equal(before, await new DatabaseProbe(DataFolder).AllInstancesAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")));
        await HostStillServesAsync(962_010);
    }

    [Fact]
    public async Task REQ_ING_31_Associations_are_limited_per_peer_and_other_peers_still_get_in()
    {
        await RegisterAsync("HOLDER");
        var clients = new List<TcpClient>();
        try
        {
            for (var i = 0; i < BoundedHost.AssociationsPerPeer; i++)
            {
                Assert.Equal(0x02, await OpenAsync(clients, IPAddress.Loopback));
            }

            Assert.Equal(0x03, await OpenAsync(clients, IPAddress.Loopback));
            // Another address of this machine is another peer: its association is accepted while the first is full.
            Assert.Equal(0x02, await OpenAsync(clients, IPAddress.Parse("127.0.0.2")));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        await HostStillServesAsync(962_020);
    }

    [Fact]
    public async Task REQ_ING_32_By_default_an_unregistered_caller_is_rejected_and_a_device_registered_with_the_cli_is_accepted()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, 962_030), Path.Combine(_work, "cli.dcm"), "R", "IT-962030");
        var refused = await StorescuAsync(file, "CLICAMERA");
        Assert.Contains("Association Rejected", refused.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Calling AE Title Not Recognized", refused.Output, StringComparison.OrdinalIgnoreCase);

        var output = new StringWriter();
        var exit = await DeviceCommand.RunAsync(
            ["register", "--portal", host.BaseAddress.ToString(), "--admin-email", EmbeddedHost.AdminEmail, "--password-stdin",
             "--name", "CLI camera", "--ae-title", "CLICAMERA", "--address", "127.0.0.1", "--site", "Clinic B"],
            new StringReader(EmbeddedHost.AdminPassword + "\n"), output, output);
        Assert.True(exit == 0, output.ToString());
        Assert.Contains("rsdev_", output.ToString(), StringComparison.Ordinal);

        var accepted = await StorescuAsync(file, "CLICAMERA");
        Assert.True(accepted.ExitCode == 0 && !accepted.Output.Contains("E: ", StringComparison.Ordinal), accepted.Output);
        Assert.Equal(1, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(file)));
        await HostStillServesAsync(962_031);
    }

    [Fact]
    public async Task REQ_ING_33_An_over_limit_stow_part_is_refused_while_it_arrives_and_concurrent_requests_are_limited()
    {
        using var device = await DeviceClientAsync("STOW bounds");
        var over = new CountingContent(Boundary, 64L * 1024 * 1024, hold: null);
        HttpStatusCode? status;
        try
        {
            using var response = await device.PostAsync("dicomweb/studies", over);
            status = response.StatusCode;
        }
        catch (HttpRequestException)
        {
            status = null;
        }

        Assert.True(status is null or HttpStatusCode.RequestEntityTooLarge, $"status {status}");
        // HttpClient may finish sending what the server no longer reads; what counts is that nothing past the limit was kept.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")));

        // One request at a time per peer here: a second while the first is still sending gets 429 with Retry-After.
        using var release = new SemaphoreSlim(0);
        var slow = new CountingContent(Boundary, 1024 * 1024, hold: release);
        var first = device.PostAsync("dicomweb/studies", slow);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Admitted once its first part is being spooled.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp"), "stow-*").Any())
        {
            Assert.True(DateTime.UtcNow < deadline, "the first STOW-RS request was never spooled");
            await Task.Delay(50);
        }

        using (var second = await device.PostAsync("dicomweb/studies", new CountingContent(Boundary, 1024, hold: null)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(second.Headers.RetryAfter);
        }

        release.Release();
        using (var firstAnswer = await first)
        {
            // Zeros are no DICOM: refused as unreadable, but served, not turned away.
            Assert.Equal(HttpStatusCode.Conflict, firstAnswer.StatusCode);
        }

        await HostStillServesAsync(962_040);
    }

    private async Task HostStillServesAsync(int seed)
    {
        await RegisterAsync("STORESCU");
        await HostStillServes.AssertAsync(host, _work, seed);
    }

    private async Task<byte> OpenAsync(List<TcpClient> clients, IPAddress from)
    {
        var client = new TcpClient(new IPEndPoint(from, 0));
        clients.Add(client);
        await client.ConnectAsync(IPAddress.Loopback, host.DicomPort);
        var stream = client.GetStream();
        await stream.WriteAsync(RawAssociation.AssociateRequest("RETINASCREEN", "HOLDER", RawAssociation.OphthalmicPhotography8Bit));
        return await RawAssociation.ReadPduTypeAsync(stream, TimeSpan.FromSeconds(30));
    }

    /// <summary>Registers an AE title from any loopback address; a second registration of the same name changes nothing.</summary>
    private async Task RegisterAsync(string aeTitle)
    {
        using var admin = await host.LoginAsync();
        using var response = await admin.PostAsJsonAsync("api/admin/devices", new { name = $"bounds {aeTitle}", aeTitle, allowedAddress = "127.0.0.0/8" });
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpClient> DeviceClientAsync(string name)
    {
        using var admin = await host.LoginAsync();
        var token = await DevicePolicyTests.RegisterAsync(admin, name, null, null);
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private Task<ExternalTool.Result> StorescuAsync(string file, string callingAe) =>
        ExternalTool.RunAsync("storescu", ["-xy", "-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), file]);

    public void Dispose() => Directory.Delete(_work, recursive: true);
}

/// <summary>
/// The embedded host on a file system of its own (a 512 MiB tmpfs mounted over its data folder, so that no other
/// process's writes move its free space), with the free-space watermark 256 MiB below that file system's size.
/// </summary>
public sealed class NearlyFullDiskHost : EmbeddedHost, IAsyncLifetime
{
    private const int FileSystemMegabytes = 512;

    public const long WatermarkMegabytes = 256;

    private string DataFolder => Path.Combine(DataPath, "data");

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides => new Dictionary<string, string>
    {
        ["RetinaScreen__Ingest__MinimumFreeDiskMegabytes"] = WatermarkMegabytes.ToString(CultureInfo.InvariantCulture),
    };

    public static long FreeMegabytes(string path) => new DriveInfo(path).AvailableFreeSpace / (1024 * 1024);

    public new async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataFolder);
        var mounted = await ExternalTool.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={FileSystemMegabytes}m", "tmpfs", DataFolder]);
        Assert.True(mounted.ExitCode == 0, "mounting the test's tmpfs needs root: " + mounted.Output);
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        // Lazily: the test process's pooled SQLite connections may still hold the database open.
        var unmounted = await ExternalTool.RunAsync("umount", ["--lazy", DataFolder]);
        Assert.True(unmounted.ExitCode == 0, unmounted.Output);
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}

/// <summary>Transfers that would take the disk below its watermark, alone or together.</summary>
public sealed class DiskReservationTests(NearlyFullDiskHost host) : IClassFixture<NearlyFullDiskHost>, IDisposable
{
    private const string WholeSlide = "1.2.840.10008.5.1.4.1.1.77.1.6";
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-reserve-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_ING_34_A_transfer_that_crosses_the_watermark_stops_writing_at_once_and_is_refused_with_A700()
    {
        var before = await new DatabaseProbe(DataFolder).AllInstancesAsync();
        var (_, answer) = await RawStore.StreamAsync(host.DicomPort, "SLIDESCAN", WholeSlide, 400L * 1024 * 1024);
        Assert.Equal(RawStore.Status(0xA700), answer);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")));
        Assert.Equal(before, await new DatabaseProbe(DataFolder).AllInstancesAsync());
        await HostStillServes.AssertAsync(host, _work, 962_050);
    }

    [Fact]
    public async Task REQ_ING_35_Parallel_senders_cannot_together_take_the_disk_below_the_watermark()
    {
        var lowest = long.MaxValue;
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                lowest = Math.Min(lowest, NearlyFullDiskHost.FreeMegabytes(DataFolder));
                await Task.Delay(10);
            }
        });

        // Each alone would fit; together they are far more than the room above the watermark.
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            RawStore.StreamAsync(host.DicomPort, $"PARALLEL{i}", WholeSlide, 150L * 1024 * 1024)));
        await watching.CancelAsync();
        await watcher;

        Assert.Contains(answers, a => a.Answer == RawStore.Status(0xA700));
        // Reservations are granted 4 MiB ahead of each transfer; the free space seen never goes below the watermark
        // by more than what the sockets and file buffers hold in flight.
        Assert.True(lowest >= NearlyFullDiskHost.WatermarkMegabytes - 16, $"free space fell to {lowest} MiB; the watermark is {NearlyFullDiskHost.WatermarkMegabytes} MiB");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")));
        await HostStillServes.AssertAsync(host, _work, 962_060);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}

/// <summary>A C-STORE of a data set of zeros streamed over a raw association, and what the SCP answered.</summary>
internal static class RawStore
{
    public const string Aborted = "A-ABORT";
    public const string Closed = "closed";

    public static string Status(ushort status) => $"status 0x{status:X4}";

    public static async Task<(long Sent, string Answer)> StreamAsync(int port, string callingAe, string sopClass, long bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(RawAssociation.AssociateRequest("RETINASCREEN", callingAe, sopClass));
        var accepted = await RawAssociation.ReadPduTypeAsync(stream, TimeSpan.FromSeconds(30));
        Assert.True(accepted == 0x02, $"association answered with PDU type {accepted}");
        await stream.WriteAsync(RawAssociation.PData(1, command: true, last: true, RawAssociation.CStoreCommand(sopClass, $"2.25.{Random.Shared.NextInt64(1, long.MaxValue)}")));

        const int fragment = 32 * 1024;
        var zeros = new byte[fragment];
        var sent = 0L;
        try
        {
            while (sent < bytes)
            {
                var last = sent + fragment >= bytes;
                await stream.WriteAsync(RawAssociation.PData(1, command: false, last, zeros));
                sent += fragment;
            }
        }
        catch (IOException)
        {
            return (sent, await ReadAnswerAsync(stream));
        }

        return (sent, await ReadAnswerAsync(stream));
    }

    private static async Task<string> ReadAnswerAsync(NetworkStream stream)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var header = new byte[6];
            if (await stream.ReadAtLeastAsync(header, 6, throwOnEndOfStream: false, timeout.Token) < 6)
            {
                return Closed;
            }

            var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2))];
            await stream.ReadExactlyAsync(body, timeout.Token);
            if (header[0] == 0x07)
            {
                return Aborted;
            }

            // Status (0000,0900) US in the implicit VR command set of the C-STORE-RSP.
            ReadOnlySpan<byte> tag = [0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00];
            var at = body.AsSpan().IndexOf(tag);
            return at < 0 ? $"PDU type {header[0]}" : Status(BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(at + 8)));
        }
        catch (IOException)
        {
            return Closed;
        }
    }
}

/// <summary>A multipart/related body of one part of zeros, counting what HttpClient has sent; optionally held after its first bytes.</summary>
internal sealed class CountingContent : HttpContent
{
    private readonly string _boundary;
    private readonly long _partBytes;
    private readonly SemaphoreSlim? _hold;

    public CountingContent(string boundary, long partBytes, SemaphoreSlim? hold)
    {
        _boundary = boundary;
        _partBytes = partBytes;
        _hold = hold;
        Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/related; type=\"application/dicom\"; boundary={boundary}");
    }

    public long Sent { get; private set; }

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"--{_boundary}\r\nContent-Type: application/dicom\r\n\r\n"));
        var zeros = new byte[64 * 1024];
        while (Sent < _partBytes)
        {
            var count = (int)Math.Min(zeros.Length, _partBytes - Sent);
            await stream.WriteAsync(zeros.AsMemory(0, count));
            await stream.FlushAsync();
            Sent += count;
            if (_hold is not null && !Started.Task.IsCompleted)
            {
                Started.TrySetResult();
                await _hold.WaitAsync();
            }
        }

        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"\r\n--{_boundary}--\r\n"));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
