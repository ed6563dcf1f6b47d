using System.Diagnostics.Metrics;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;
using RetinaScreen.Hosting;
using RetinaScreen.Hosting.Screening;
using RetinaScreen.Inference.Screening;
using RetinaScreen.Integration.Tests.Infrastructure;
using RetinaScreen.Screening;

namespace RetinaScreen.Integration.Tests.Screening;

/// <summary>
/// No case waits for a model forever: a grading that faults after its retries (MassTransit's Fault, on the in-memory
/// transport the embedded host uses) and a case idle past <c>RetinaScreen:Screening:ModelAnswerTimeout</c> both end in
/// the reading room's Primary queue as ungradable, with the reason recorded and audited. Over a real SQLite database
/// file, with the real screening module, fault consumer and overdue-case sweeper.
/// </summary>
public sealed class ModelFailureTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("retinascreen-model-failure-").FullName;
    private IHost _host = null!;
    private ITestHarness _harness = null!;

    private string DataFolder => Path.Combine(_folder, "data");
    private DatabaseProbe Database => new(DataFolder);

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = true });
        builder.Configuration["RetinaScreen:DataPath"] = DataFolder;
        builder.Configuration["RetinaScreen:Reading:QualitySampleFraction"] = "0";
        builder.Configuration["RetinaScreen:Reading:SecondReadFraction"] = "0";
        builder.Configuration["RetinaScreen:Reading:BlindFraction"] = "0";
        builder.Configuration["RetinaScreen:Screening:ModelAnswerTimeout"] = "00:10:00";
        builder.AddRetinaScreenData();
        builder.AddScreening();
        builder.Services.AddSingleton<OverdueCaseSweeper>();
        builder.Services.AddMassTransitTestHarness(bus =>
        {
            bus.AddConsumer<BrokenGrader>();
            bus.AddConsumer<GradingFaultConsumer, GradingFaultConsumerDefinition>();
        });
        _host = builder.Build();
        await _host.Services.MigrateRetinaScreenDatabaseAsync();
        _harness = _host.Services.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    [Fact]
    public async Task REQ_PIPE_23_REQ_PIPE_25_a_grading_that_faults_after_its_retries_sends_the_case_to_review_with_the_failure()
    {
        var (study, sop) = await ArriveAsync(961_100, receivedAgo: TimeSpan.Zero);
        using var failures = new FailureCounter();

        await _harness.Bus.Publish(new ImageReceived
        {
            SopInstanceUid = sop, SopClassUid = RetinaScreen.Dicom.DicomUids.OphthalmicPhotography8Bit, StudyInstanceUid = study,
            StorageKey = "ab/cd/x.dcm", Sha256 = new string('a', 64), ReceivedAt = DateTimeOffset.UtcNow,
        });

        Assert.True(await _harness.Consumed.Any<Fault<ImageReceived>>(), "the grader's fault was not published or consumed");
        var screening = await WaitForCaseAsync(study, c => c.FailureReason is not null);
        Assert.Equal(ScreeningStatus.AwaitingReview, screening.Status);
        Assert.Equal(ReadingQueue.Primary, screening.Queue);
        Assert.True(screening.AnyUngradable);
        Assert.Equal("grading failed after every retry (InvalidOperationException)", screening.FailureReason);
        Assert.Null(screening.GradedAt);
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'case.model-failed' AND EntityId = $uid AND Details LIKE '%grading failed%'", ("$uid", study)));
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM OutboxMessages WHERE Type = $type AND Payload LIKE '%' || $uid || '%'", ("$type", typeof(ScreeningGraded).FullName!), ("$uid", study)));
        Assert.True(failures.Of("grading-fault") >= 1, "retinascreen.screenings.failed{cause=grading-fault} was not counted");
    }

    [Fact]
    public async Task REQ_PIPE_24_REQ_PIPE_25_a_case_idle_past_the_timeout_is_sent_to_review_once_and_a_recent_one_waits()
    {
        using var failures = new FailureCounter();
        var (overdue, _) = await ArriveAsync(961_200, receivedAgo: TimeSpan.FromMinutes(11));
        var (recent, _) = await ArriveAsync(961_201, receivedAgo: TimeSpan.FromMinutes(2));
        var sweeper = _host.Services.GetRequiredService<OverdueCaseSweeper>();

        Assert.Equal(1, await sweeper.SweepAsync(CancellationToken.None));
        Assert.Equal(0, await sweeper.SweepAsync(CancellationToken.None));
        Assert.True(failures.Of("model-timeout") >= 1, "retinascreen.screenings.failed{cause=model-timeout} was not counted");
        // After the second pass one case still waits (the recent one, two minutes old).
        var (waitingCount, oldestAge) = Gauges();
        Assert.Equal(1, waitingCount);
        Assert.InRange(oldestAge, 100, 300);

        var routed = await CaseAsync(overdue);
        Assert.Equal(ScreeningStatus.AwaitingReview, routed.Status);
        Assert.Equal(ReadingQueue.Primary, routed.Queue);
        Assert.Equal("no model answer within 00:10:00", routed.FailureReason);
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'case.model-failed' AND EntityId = $uid", ("$uid", overdue)));
        var waiting = await CaseAsync(recent);
        Assert.Equal(ScreeningStatus.Received, waiting.Status);
        Assert.Null(waiting.Queue);
        Assert.Null(waiting.FailureReason);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:05:00")]
    [InlineData("8.00:00:00")]
    public void REQ_PIPE_24_a_timeout_outside_its_range_stops_the_start(string timeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = true });
        builder.Configuration["RetinaScreen:Screening:ModelAnswerTimeout"] = timeout;
        builder.AddScreening();
        using var host = builder.Build();

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<ScreeningOptions>>().Value);
        Assert.Contains("ModelAnswerTimeout", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A photograph's arrival as ingest records it: patient, study, series, instance and the case, through the
    /// screening module's own arrival rule.</summary>
    private async Task<(string Study, string Sop)> ArriveAsync(int seed, TimeSpan receivedAgo)
    {
        var at = DateTimeOffset.UtcNow - receivedAgo;
        var study = new Study
        {
            StudyInstanceUid = $"1.2.826.0.1.3680043.10.961.{seed}",
            Patient = new Patient { PatientId = $"IT-FAIL-{seed}", IssuerOfPatientId = "" },
            FirstReceivedAt = at,
        };
        ScreeningLifecycle.RecordArrival(study, slide: false, graded: true, "FAILCAM", at);
        var sop = $"{study.StudyInstanceUid}.1";
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RetinaScreenDbContext>();
        db.Instances.Add(new Instance
        {
            SopInstanceUid = sop,
            SopClassUid = RetinaScreen.Dicom.DicomUids.OphthalmicPhotography8Bit,
            TransferSyntaxUid = RetinaScreen.Dicom.DicomUids.JpegBaseline,
            Series = new Series { SeriesInstanceUid = $"{study.StudyInstanceUid}.2", Study = study },
            StorageKey = "ab/cd/x.dcm",
            Sha256 = new string('a', 64),
            ReceivedAt = at,
        });
        await db.SaveChangesAsync();
        return (study.StudyInstanceUid, sop);
    }

    private async Task<ScreeningCase> CaseAsync(string studyInstanceUid)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RetinaScreenDbContext>();
        return await db.Screenings.AsNoTracking().SingleAsync(c => c.Study!.StudyInstanceUid == studyInstanceUid);
    }

    private async Task<ScreeningCase> WaitForCaseAsync(string studyInstanceUid, Func<ScreeningCase, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var screening = await CaseAsync(studyInstanceUid);
            if (condition(screening) || DateTime.UtcNow > deadline)
            {
                return screening;
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    /// <summary>The awaiting-models gauges as a scrape would read them now.</summary>
    private static (long Count, double OldestAgeSeconds) Gauges()
    {
        long count = -1;
        double age = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineTelemetry.Name && instrument.Name.StartsWith("retinascreen.screenings.awaiting_models", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => count = value);
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => age = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return (count, age);
    }

    /// <summary>Counts <c>retinascreen.screenings.failed</c> by cause while it lives.</summary>
    private sealed class FailureCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

        public FailureCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PipelineTelemetry.Name && instrument.Name == "retinascreen.screenings.failed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "cause" && tag.Value is string cause)
                    {
                        _counts.AddOrUpdate(cause, value, (_, sum) => sum + value);
                    }
                }
            });
            _listener.Start();
        }

        public long Of(string cause) => _counts.GetValueOrDefault(cause);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A grader that crashes on every photograph, as a broken model runtime or an unreachable object store would:
    /// the failure MassTransit turns into a fault after the endpoint's retries.</summary>
    private sealed class BrokenGrader : IConsumer<ImageReceived>
    {
        public Task Consume(ConsumeContext<ImageReceived> context) => throw new InvalidOperationException("the model runtime crashed");
    }
}
