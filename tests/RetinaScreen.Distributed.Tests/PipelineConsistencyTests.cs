using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;
using RetinaScreen.Distributed.Tests.Infrastructure;
using RetinaScreen.Screening;

namespace RetinaScreen.Distributed.Tests;

/// <summary>
/// The distributed mode with each role's Prometheus scrape on a loopback port, the queue depth read every second
/// and the orphan sweeper every two seconds with a short grace age (production: an hour each).
/// </summary>
public sealed class ObservedDistributedSystem : DistributedSystem
{
    public static readonly TimeSpan SweepGrace = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, int> _metricsPorts = [];

    public Uri MetricsAddress(string role) => new($"http://127.0.0.1:{_metricsPorts[role].ToString(CultureInfo.InvariantCulture)}/metrics");

    protected override IReadOnlyDictionary<string, string> RoleEnvironment(string role, int httpPort)
    {
        var metricsPort = FreePort.Next();
        _metricsPorts[role] = metricsPort;
        return new Dictionary<string, string>
        {
            ["RetinaScreen__Telemetry__MetricsUrl"] = $"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}",
            ["RetinaScreen__Telemetry__QueueDepthInterval"] = "00:00:01",
            ["RetinaScreen__Storage__OrphanSweepInterval"] = "00:00:02",
            ["RetinaScreen__Storage__OrphanGraceAge"] = SweepGrace.ToString("c", CultureInfo.InvariantCulture),
        };
    }
}

public sealed class PipelineConsistencyTests(ObservedDistributedSystem system, ITestOutputHelper output) : IClassFixture<ObservedDistributedSystem>
{
    private const int Studies = 40;

    [Fact]
    public async Task REQ_PIPE_02_Two_workers_grading_both_eyes_of_many_studies_leave_each_screening_equal_to_its_predictions()
    {
        var files = system.WriteTwoEyeStudies(Studies, seedBase: 71);
        var answered = await system.SendAsync(files, FaultRun.Senders, new SendProgress());
        Assert.Equal(Studies * 2, answered.Count);
        await system.WaitForPipelineToSettleAsync(FaultRun.Settle);
        var perWorker = system.GradedPerWorker();
        output.WriteLine($"graded per worker: {string.Join(", ", perWorker)}");
        Assert.All(perWorker, graded => Assert.True(graded > 0, "both workers must grade for the race to be possible"));

        var predictions = (await system.RowsAsync("""
            SELECT se."StudyId", p."Gradable", p."Grade", p."ReferableDr", p."ReferableDme"
            FROM "Predictions" p JOIN "Instances" i ON i."Id" = p."InstanceId" JOIN "Series" se ON se."Id" = i."SeriesId"
            WHERE NOT p."Shadow"
            """)).ToLookup(row => (Guid)row[0]!);
        var screenings = await system.RowsAsync("""
            SELECT c."StudyId", c."Status", c."WorstGrade", c."ReferableDr", c."ReferableDme", c."AnyUngradable",
                   c."ReceivedAt", c."QualityCheckedAt", c."GradedAt", c."AwaitingReviewAt", s."StudyInstanceUid", c."Queue", c."FinalSource"
            FROM "Screenings" c JOIN "Studies" s ON s."Id" = c."StudyId"
            """);
        Assert.Equal(Studies, screenings.Count);
        var referableOrUngradable = 0;
        foreach (var screening in screenings)
        {
            var eyes = predictions[(Guid)screening[0]!].ToList();
            Assert.Equal(2, eyes.Count);
            var gradable = eyes.Where(eye => (bool)eye[1]!).ToList();
            var anyUngradable = eyes.Count > gradable.Count;
            int? worst = gradable.Count > 0 ? gradable.Max(eye => (int?)eye[2]) : null;
            bool? referableDr = gradable.Count > 0 ? gradable.Any(eye => (bool)eye[3]!) : null;
            bool? referableDme = gradable.Count > 0 ? gradable.Any(eye => (bool)eye[4]!) : null;
            var flagged = anyUngradable || referableDr == true || referableDme == true;
            referableOrUngradable += flagged ? 1 : 0;
            // The routing's quality sample of model negatives goes to a reader too.
            var needsReview = flagged || ReadingRules.Sampled((string)screening[10]!, ReadingRules.QualitySample, new ReadingOptions().QualitySampleFraction);

            var described = $"screening of study {screening[0]}: {string.Join(", ", screening.Skip(1))}";
            Assert.True(anyUngradable == (bool)screening[5]!, described);
            Assert.True(worst == (int?)screening[2], described);
            Assert.True(referableDr == (bool?)screening[3], described);
            Assert.True(referableDme == (bool?)screening[4], described);
            Assert.True((needsReview ? "AwaitingReview" : "Graded") == (string)screening[1]!, described);
            Assert.True((needsReview ? "Primary" : null) == (string?)screening[11], described);
            Assert.True((needsReview ? null : "Model") == (string?)screening[12], described);

            // Forward only: each step reached has its time, in the order of the steps.
            var received = ToUtc(screening[6])!.Value;
            var qualityChecked = ToUtc(screening[7]);
            var graded = ToUtc(screening[8]);
            var awaitingReview = ToUtc(screening[9]);
            Assert.True(qualityChecked >= received && graded >= qualityChecked, described);
            Assert.True(needsReview ? awaitingReview >= graded : awaitingReview is null, described);
        }

        var all = predictions.SelectMany(study => study).ToList();
        output.WriteLine($"{referableOrUngradable} of {Studies} screenings await review; of {all.Count} eyes {all.Count(eye => (bool)eye[1]!)} gradable, "
            + $"{all.Count(eye => (bool)eye[3]!)} referable DR, grades {string.Join(" ", all.GroupBy(eye => eye[2]).OrderBy(g => g.Key).Select(g => $"{g.Key ?? "-"}:{g.Count()}"))}");
    }

    [Fact]
    public async Task REQ_PIPE_08_Each_instance_is_one_trace_from_the_arrival_in_ingest_to_the_prediction_in_a_worker()
    {
        var answered = await system.SendAsync(system.WriteImages(20, seedBase: 81), FaultRun.Senders, new SendProgress());
        Assert.Equal(20, answered.Count);
        await system.WaitForPipelineToSettleAsync(FaultRun.Settle);

        var records = await system.RowsAsync("""
            SELECT "Action", "EntityId", "Details" FROM "AuditEvents" WHERE "Action" IN ('instance.received', 'prediction.created')
            """);
        string? TraceOf(object?[] row) =>
            JsonDocument.Parse((string)row[2]!).RootElement.TryGetProperty("traceId", out var id) ? id.GetString() : null;
        bool Stored(object?[] row) => JsonDocument.Parse((string)row[2]!).RootElement.GetProperty("outcome").GetString() == "stored";
        var arrivals = records.Where(r => (string)r[0]! == "instance.received" && Stored(r)).ToDictionary(r => (string)r[1]!, TraceOf);
        var gradings = records.Where(r => (string)r[0]! == "prediction.created").ToDictionary(r => (string)r[1]!, TraceOf);
        Assert.Subset(arrivals.Keys.ToHashSet(), answered.ToHashSet());
        Assert.Equal(arrivals.Keys.Order(), gradings.Keys.Order());
        foreach (var (uid, trace) in arrivals)
        {
            Assert.Matches("^[0-9a-f]{32}$", trace ?? "");
            Assert.NotEqual(new string('0', 32), trace);
            Assert.True(trace == gradings[uid], $"instance {uid}: arrival in trace {trace}, prediction in trace {gradings[uid]}");
        }

        // One trace per instance, not one for the whole run.
        Assert.Equal(arrivals.Count, arrivals.Values.Distinct().Count());
    }

    [Fact]
    public async Task REQ_PIPE_08_Queue_depth_is_scraped_per_queue_and_shows_messages_waiting_for_stopped_workers()
    {
        foreach (var worker in system.Workers)
        {
            worker.KillHard();
        }

        const int waiting = 12;
        try
        {
            var answered = await system.SendAsync(system.WriteImages(waiting, seedBase: 91), FaultRun.Senders, new SendProgress());
            Assert.Equal(waiting, answered.Count);

            using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow.AddSeconds(30);
            double depth = 0;
            var scrape = "";
            while (DateTime.UtcNow < deadline && depth < waiting)
            {
                scrape = await scraper.GetStringAsync(system.MetricsAddress("ingest"));
                depth = QueueDepth(scrape, "grade-image") ?? 0;
                await Task.Delay(500);
            }

            output.WriteLine(string.Join('\n', scrape.Split('\n').Where(line => line.StartsWith("retinascreen_queue_depth", StringComparison.Ordinal))));
            Assert.Equal(waiting, depth);
            // Every queue of the pipeline that exists is measured, each under its own name (here the camera queue, empty).
            Assert.Equal(0, QueueDepth(scrape, "submit-dicom-instance"));
        }
        finally
        {
            await Task.WhenAll(system.Workers.Select(system.StartAsync));
        }

        await system.WaitForPipelineToSettleAsync(FaultRun.Settle);
        using var after = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var drained = DateTime.UtcNow.AddSeconds(30);
        double? left;
        do
        {
            await Task.Delay(500);
            left = QueueDepth(await after.GetStringAsync(system.MetricsAddress("portal")), "grade-image");
        }
        while (left != 0 && DateTime.UtcNow < drained);
        Assert.Equal(0, left);
    }

    [Fact]
    public async Task REQ_PIPE_09_Orphan_objects_older_than_the_grace_age_are_swept_and_referenced_or_young_ones_are_kept()
    {
        var answered = await system.SendAsync(system.WriteImages(6, seedBase: 101), FaultRun.Senders, new SendProgress());
        Assert.Equal(6, answered.Count);
        await system.WaitForPipelineToSettleAsync(FaultRun.Settle);

        var old = DateTime.UtcNow.AddHours(-2);
        // What a crash between storing and recording leaves: an object and a heatmap that no row names.
        var orphan = PlantObject(".dcm", old);
        var orphanHeatmap = PlantObject(".png", old);
        // An arrival in flight: stored a moment ago, its row not committed yet.
        var young = PlantObject(".dcm", DateTime.UtcNow);
        // Recorded objects, made as old as the orphans: only the references keep them.
        var instanceKeys = (await system.RowsAsync("""SELECT "StorageKey" FROM "Instances" """)).Select(r => (string)r[0]!).ToList();
        var heatmapKeys = (await system.RowsAsync("""SELECT "HeatmapKey" FROM "Predictions" WHERE "HeatmapKey" IS NOT NULL""")).Select(r => (string)r[0]!).ToList();
        Assert.NotEmpty(heatmapKeys);
        foreach (var key in instanceKeys.Concat(heatmapKeys))
        {
            File.SetLastWriteTimeUtc(Path.Combine(system.ObjectsPath, key), old);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (File.Exists(orphan) || File.Exists(orphanHeatmap)))
        {
            await Task.Delay(500);
        }

        Assert.False(File.Exists(orphan), "an old unreferenced object was not swept");
        Assert.False(File.Exists(orphanHeatmap), "an old unreferenced heatmap was not swept");
        Assert.True(File.Exists(young), "an object younger than the grace age was swept");
        Assert.All(instanceKeys.Concat(heatmapKeys), key => Assert.True(File.Exists(Path.Combine(system.ObjectsPath, key)), $"referenced object {key} was swept"));
        Assert.Contains(system.Ingest.LogLines, line => line.Contains("Orphan sweep:", StringComparison.Ordinal) && !line.Contains(" 0 unreferenced deleted", StringComparison.Ordinal));
    }

    private string PlantObject(string extension, DateTime lastWrite)
    {
        var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(512);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var path = Path.Combine(system.ObjectsPath, sha[..2], sha[2..4], sha + extension);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, lastWrite);
        return path;
    }

    /// <summary>The value of <c>retinascreen_queue_depth{queue="…"}</c> in a scrape, or null when absent.</summary>
    private static double? QueueDepth(string scrape, string queue)
    {
        var label = $"queue=\"{queue}\"";
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith("retinascreen_queue_depth{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset? ToUtc(object? value) => value switch
    {
        null => null,
        // Every DateTimeOffset is stored as UTC .NET ticks (one sortable form for SQLite and PostgreSQL).
        long ticks => new DateTimeOffset(ticks, TimeSpan.Zero),
        _ => throw new InvalidOperationException($"not a time: {value.GetType()}"),
    };
}
