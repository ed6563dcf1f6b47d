using System.Net.Sockets;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>The embedded host with room for only two associations at once.</summary>
public sealed class TwoAssociationHost : EmbeddedHost
{
    public const int Limit = 2;

    protected override IReadOnlyDictionary<string, string> EnvironmentOverrides { get; } = new Dictionary<string, string>
    {
        ["RetinaScreen__Dicom__MaxConcurrentAssociations"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Misbehaving senders against the real host process: refused or cleaned up, the host stays up, later work is fine.</summary>
public sealed class HostRobustnessTests(TwoAssociationHost host) : IClassFixture<TwoAssociationHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-robust-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_NET_09_Fifty_associations_at_once_over_the_limit_are_refused_and_the_host_stays_usable()
    {
        var clients = new List<TcpClient>();
        try
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
            {
                var client = new TcpClient();
                lock (clients)
                {
                    clients.Add(client);
                }

                await client.ConnectAsync("127.0.0.1", host.DicomPort);
                var stream = client.GetStream();
                await stream.WriteAsync(RawAssociation.AssociateRequest("RETINASCREEN", $"FLOOD{i}", RawAssociation.OphthalmicPhotography8Bit));
                return await RawAssociation.ReadPduTypeAsync(stream, TimeSpan.FromSeconds(30));
            }));

            // Accepted ones are held open while the rest arrive, so exactly the limit gets in.
            Assert.Equal(TwoAssociationHost.Limit, answers.Count(a => a == 0x02));
            Assert.Equal(50 - TwoAssociationHost.Limit, answers.Count(a => a == 0x03));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        Assert.True(host.IsRunning);
        await AssertUsableAsync(seed: 940_100);
    }

    [Fact]
    public async Task REQ_NET_10_Sender_vanishing_mid_dataset_leaves_nothing_in_tmp_objects_or_database()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 940_200), Path.Combine(_work, "half.dcm"), "R", "IT-9402");
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var raw = Path.Combine(_work, "half-implicit.dcm");
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmdjpeg", ["+ti", file, raw])).ExitCode);
        var dataset = Part10.Dataset(raw);
        var instancesBefore = await new DatabaseProbe(DataFolder).AllInstancesAsync();

        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", host.DicomPort);
            var stream = client.GetStream();
            await stream.WriteAsync(RawAssociation.AssociateRequest("RETINASCREEN", "VANISHER", RawAssociation.OphthalmicPhotography8Bit));
            Assert.Equal(0x02, await RawAssociation.ReadPduTypeAsync(stream, TimeSpan.FromSeconds(30)));
            await stream.WriteAsync(RawAssociation.PData(1, command: true, last: true, RawAssociation.CStoreCommand(RawAssociation.OphthalmicPhotography8Bit, sop)));
            // Half the data set, in fragments well inside the SCP's maximum PDU length (64 KiB by default): a larger
            // PDU would be refused with an A-ABORT, which is another test's case, not a sender that vanishes.
            const int fragment = 16 * 1024;
            for (var offset = 0; offset < dataset.Length / 2; offset += fragment)
            {
                var length = Math.Min(fragment, dataset.Length / 2 - offset);
                await stream.WriteAsync(RawAssociation.PData(1, command: false, last: false, dataset.AsSpan(offset, length)));
            }

            await stream.FlushAsync();

            // The half data set reached the arrival folder before the sender vanished. Bounded like the association
            // answer above: in CI this class's host may still be warming its models while other classes' hosts run.
            await WaitUntilAsync(() => Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")).Any(), TimeSpan.FromSeconds(30));
            client.Client.LingerState = new LingerOption(true, 0);
        }

        await WaitUntilAsync(() => !Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")).Any(), TimeSpan.FromSeconds(30));
        Assert.Equal(instancesBefore, await new DatabaseProbe(DataFolder).AllInstancesAsync());
        Assert.Equal(0, await new DatabaseProbe(DataFolder).InstancesAsync(sop));
        Assert.Null(await Part10.StoredObjectAsync(DataFolder, sop));
        Assert.True(host.IsRunning);
        await AssertUsableAsync(seed: 940_300);
    }

    private async Task AssertUsableAsync(int seed)
    {
        // The refused and broken connections are released asynchronously: bounded wait for a free slot.
        await WaitUntilAsync(async () => (await ExternalTool.RunAsync("echoscu", ["-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString()])).ExitCode == 0, TimeSpan.FromSeconds(20));
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed), Path.Combine(_work, $"after-{seed}.dcm"), "L", $"IT-{seed}");
        var result = await ExternalTool.RunAsync("storescu", ["-xy", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(), file]);
        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), result.Output);
        Assert.Equal(1, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(file)));
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout) => WaitUntilAsync(() => Task.FromResult(condition()), timeout);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout}.");
            }

            await Task.Delay(100);
        }
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
