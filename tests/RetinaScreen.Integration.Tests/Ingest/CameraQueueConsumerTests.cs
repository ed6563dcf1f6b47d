using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Devices;
using RetinaScreen.Data.Storage;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting.Devices;
using RetinaScreen.Hosting;
using RetinaScreen.Ingest;
using RetinaScreen.Ingest.Devices;
using RetinaScreen.Ingest.Storage;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>
/// The camera queue's consumer under MassTransit's test harness, over a real SQLite database file and a real
/// object store folder (issue 4, item 6).
/// </summary>
public sealed class CameraQueueConsumerTests : IAsyncLifetime
{
    private const string Token = "rsdev_queue-test-token-0123456789abcdef";
    private readonly string _folder = Directory.CreateTempSubdirectory("retinascreen-queue-").FullName;
    private IHost _host = null!;
    private ITestHarness _harness = null!;

    private string DataFolder => Path.Combine(_folder, "data");

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = true });
        builder.Configuration["RetinaScreen:DataPath"] = DataFolder;
        builder.AddRetinaScreenData();
        builder.Services.Configure<RetinaScreenOptions>(builder.Configuration.GetSection(RetinaScreenOptions.SectionName));
        builder.Services.AddSingleton<IObjectStore>(new FileObjectStore(Path.Combine(DataFolder, "objects")));
        builder.Services.Configure<DicomServerOptions>(o => o.TempDirectory = Path.Combine(DataFolder, "tmp"));
        builder.Services.Configure<IngestOptions>(o => o.MaxInlineSubmissionBytes = 4 * 1024 * 1024);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DiskWatermark>();
        builder.Services.AddSingleton<ObjectSizeLimits>();
        builder.Services.AddSingleton<DeviceDirectory>();
        builder.Services.AddSingleton<RetinaScreen.Data.Outbox.OutboxSignal>();
        builder.Services.AddSingleton<InstanceIngestor>();
        builder.Services.AddMassTransitTestHarness(bus => bus.AddIngestConsumers());
        _host = builder.Build();
        await _host.Services.MigrateRetinaScreenDatabaseAsync();

        var factory = _host.Services.GetRequiredService<IDbContextFactory<RetinaScreenDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.Devices.Add(new Device { Name = "Gateway", ApiTokenSha256 = DeviceTokens.Hash(Token), RegisteredAt = DateTimeOffset.UtcNow });
            db.Devices.Add(new Device { Name = "Retired", ApiTokenSha256 = DeviceTokens.Hash(Token + "-old"), Enabled = false, RegisteredAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        _harness = _host.Services.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    [Fact]
    public async Task REQ_ING_16_Inline_submission_is_stored_recorded_published_audited_and_accepted_once()
    {
        var file = await PhotographAsync(970_100);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var submission = new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token, Part10 = await File.ReadAllBytesAsync(file) };

        var accepted = await SubmitExpectingAsync<DicomInstanceAccepted>(submission);
        Assert.Equal(submission.SubmissionId, accepted.SubmissionId);
        Assert.Equal(sop, accepted.SopInstanceUid);
        Assert.False(accepted.Duplicate);
        // The next step is queued in the arrival's transaction (outbox), for the dispatcher to publish.
        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM OutboxMessages WHERE Type = $type AND Payload LIKE '%' || $uid || '%'",
            ("$type", typeof(ImageReceived).FullName!), ("$uid", sop)));
        Assert.Equal(Part10.Dataset(file), Part10.Dataset((await Part10.StoredObjectAsync(DataFolder, sop))!));
        Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'instance.received' AND EntityId = $uid AND Actor = 'queue:Gateway' AND Details LIKE '%\"sourceDevice\":\"Gateway\"%'",
            ("$uid", sop)));

        var again = await SubmitExpectingAsync<DicomInstanceAccepted>(submission with { SubmissionId = Guid.NewGuid() });
        Assert.True(again.Duplicate);
        Assert.Equal(1, await new DatabaseProbe(DataFolder).InstancesAsync(sop));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp")));
    }

    [Fact]
    public async Task REQ_ING_17_Submission_by_reference_to_the_object_store_is_accepted()
    {
        var file = await PhotographAsync(970_200);
        var copy = Path.Combine(_folder, "gateway-copy.dcm");
        File.Copy(file, copy);
        var put = await _host.Services.GetRequiredService<IObjectStore>().PutFileAsync(copy, ".dcm", CancellationToken.None);

        var accepted = await SubmitExpectingAsync<DicomInstanceAccepted>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token, StorageKey = put.Key });
        Assert.Equal(await TestImages.ReadSopInstanceUidAsync(file), accepted.SopInstanceUid);

        var missing = await SubmitExpectingAsync<DicomInstanceRejected>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token, StorageKey = "no/such/object.dcm" });
        Assert.Equal(0xC000, missing.Status);
    }

    [Fact]
    public async Task REQ_ING_18_Unknown_or_disabled_tokens_malformed_and_oversized_submissions_are_rejected_with_a_status()
    {
        var bytes = await File.ReadAllBytesAsync(await PhotographAsync(970_300));
        Assert.Equal(0x0124, (await SubmitExpectingAsync<DicomInstanceRejected>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = "rsdev_wrong", Part10 = bytes })).Status);
        Assert.Equal(0x0124, (await SubmitExpectingAsync<DicomInstanceRejected>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token + "-old", Part10 = bytes })).Status);
        Assert.Equal(0xC000, (await SubmitExpectingAsync<DicomInstanceRejected>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token })).Status);
        Assert.Equal(0xA700, (await SubmitExpectingAsync<DicomInstanceRejected>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token, Part10 = new byte[(4 * 1024 * 1024) + 1] })).Status);
        Assert.Equal(0xC000, (await SubmitExpectingAsync<DicomInstanceRejected>(new SubmitDicomInstance { SubmissionId = Guid.NewGuid(), DeviceToken = Token, Part10 = System.Text.Encoding.ASCII.GetBytes(new string('x', 400)) })).Status);
        Assert.Equal(0, await new DatabaseProbe(DataFolder).AllInstancesAsync());
        Assert.True(await _harness.Consumed.Any<SubmitDicomInstance>());
    }

    private async Task<T> SubmitExpectingAsync<T>(SubmitDicomInstance submission) where T : class
    {
        var client = _harness.GetRequestClient<SubmitDicomInstance>();
        var response = await client.GetResponse<DicomInstanceAccepted, DicomInstanceRejected>(submission, timeout: RequestTimeout.After(s: 60));
        if (response.Is(out Response<T>? expected))
        {
            return expected.Message;
        }

        throw new Xunit.Sdk.XunitException($"Expected {typeof(T).Name}, got {response.Message}");
    }

    private async Task<string> PhotographAsync(int seed) =>
        await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_folder, seed), Path.Combine(_folder, $"op-{seed}.dcm"), "R", $"IT-{seed}");

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
