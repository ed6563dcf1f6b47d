using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using Xunit.Abstractions;
using RetinaScreen.Distributed.Tests.Infrastructure;

namespace RetinaScreen.Distributed.Tests;

/// <summary>What every fault test does: send a few hundred images from parallel cameras while a fault happens.</summary>
internal static class FaultRun
{
    public const int Images = 200;
    public const int Senders = 4;
    public static readonly TimeSpan Settle = TimeSpan.FromMinutes(3);

    /// <summary>Sends while <paramref name="fault"/> runs at a random moment of the sending, then waits and checks.</summary>
    public static async Task<IReadOnlySet<string>> SendDuringAsync(DistributedSystem system, ITestOutputHelper output, int seed, Func<Task> fault, int faults = 1)
    {
        output.WriteLine($"system ready in {system.StartupTime}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var files = system.WriteImages(Images, seed);
        output.WriteLine($"{clock.Elapsed}: {files.Count} images written");
        var random = new Random(seed);
        var progress = new SendProgress();
        var sending = system.SendAsync(files, Senders, progress);
        // Each fault at a random point between a tenth and four fifths of the sending, in order.
        var moments = Enumerable.Range(0, faults).Select(_ => random.Next(Images / 10, Images * 4 / 5)).Order().ToList();
        for (var i = 0; i < faults; i++)
        {
            await progress.WaitForAsync(moments[i], sending);
            output.WriteLine($"{clock.Elapsed}: fault {i + 1} starts after {progress.Done} images");
            await fault();
            output.WriteLine($"{clock.Elapsed}: fault {i + 1} over");
        }

        return await SettleAndCheckAsync(system, output, clock, sending);
    }

    /// <summary>
    /// Sends while <paramref name="fault"/> runs once per window, each at a random point of the grading (a fraction of
    /// the images graded, e.g. 0.2–0.4): a fault of a worker must land while the workers are grading, not after the
    /// last prediction, whatever the machine's load does to the pace of sending and grading. Asserts that it did.
    /// </summary>
    public static async Task<IReadOnlySet<string>> SendDuringGradingAsync(
        DistributedSystem system, ITestOutputHelper output, int seed, Func<Task> fault, IReadOnlyList<(double From, double To)> windows)
    {
        output.WriteLine($"system ready in {system.StartupTime}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = await system.ScalarAsync("""SELECT count(*) FROM "Predictions" """);
        var files = system.WriteImages(Images, seed);
        output.WriteLine($"{clock.Elapsed}: {files.Count} images written");
        var random = new Random(seed);
        var sending = system.SendAsync(files, Senders, new SendProgress());
        var gradedAtFault = new List<long>();
        foreach (var (from, to) in windows)
        {
            var target = random.Next((int)(Images * from), (int)(Images * to) + 1);
            var deadline = DateTime.UtcNow + Settle;
            long graded;
            while ((graded = await system.ScalarAsync("""SELECT count(*) FROM "Predictions" """) - before) < target)
            {
                Assert.True(DateTime.UtcNow < deadline, $"grading stalled at {graded} of {Images} before a fault at {target}");
                await Task.Delay(100);
            }

            gradedAtFault.Add(graded);
            output.WriteLine($"{clock.Elapsed}: fault {gradedAtFault.Count} starts with {graded} of {Images} graded (window {from:P0}–{to:P0})");
            await fault();
            output.WriteLine($"{clock.Elapsed}: fault {gradedAtFault.Count} over");
        }

        var answered = await SettleAndCheckAsync(system, output, clock, sending);
        var final = await system.ScalarAsync("""SELECT count(*) FROM "Predictions" """) - before;
        for (var i = 0; i < windows.Count; i++)
        {
            // Mid-grading: inside its window (the poll may overshoot a little), and with gradings still to come.
            Assert.InRange(gradedAtFault[i], (long)(Images * windows[i].From), (long)(Images * windows[i].To) + Images / 10);
            Assert.True(gradedAtFault[i] < final, $"fault {i + 1} landed after grading finished ({gradedAtFault[i]} of {final} graded)");
        }

        return answered;
    }

    private static async Task<IReadOnlySet<string>> SettleAndCheckAsync(
        DistributedSystem system, ITestOutputHelper output, System.Diagnostics.Stopwatch clock, Task<IReadOnlySet<string>> sending)
    {
        var answered = await sending;
        output.WriteLine($"{clock.Elapsed}: sending over, {answered.Count} answered with success");
        await system.WaitForPipelineToSettleAsync(Settle);
        output.WriteLine($"{clock.Elapsed}: pipeline settled: {await system.DescribeGradingAsync()}");
        await system.AssertNothingLostOrDoubledAsync(answered);
        return answered;
    }
}

public sealed class InferenceWorkerKillTests(DistributedSystem system, ITestOutputHelper output) : IClassFixture<DistributedSystem>
{
    private const int FairShareImages = 60;

    [Fact]
    public async Task REQ_PIPE_03_Two_workers_share_the_load_and_killing_one_twice_loses_or_doubles_nothing()
    {
        // The share is measured with both workers up the whole time: a worker that is killed and restarting (seconds
        // on a loaded machine) cannot take its share meanwhile, which says nothing about how the queue is shared.
        var fairShare = await system.SendAsync(system.WriteImages(FairShareImages, seedBase: 21), FaultRun.Senders, new SendProgress());
        await system.WaitForPipelineToSettleAsync(FaultRun.Settle);
        var perWorker = system.GradedPerWorker();
        output.WriteLine($"fair-share phase: {fairShare.Count} answered, graded per worker: {string.Join(", ", perWorker)}");
        Assert.Equal(FairShareImages, fairShare.Count);
        Assert.All(perWorker, graded => Assert.True(graded >= FairShareImages / 5, $"unfair share: {string.Join(", ", perWorker)}"));

        // Both kills by grading progress, so that neither lands after the last prediction: one early, one late. The
        // killed worker restarts meanwhile (on a loaded machine that takes long enough for the other worker to grade
        // past the second window, were the test to wait for it); the second kill picks among the workers up.
        var random = new Random(7);
        var restarts = system.Workers.ToDictionary(worker => worker, _ => Task.CompletedTask);
        var answered = await FaultRun.SendDuringGradingAsync(system, output, seed: 31, async () =>
        {
            if (!restarts.Values.Any(restart => restart.IsCompleted))
            {
                await Task.WhenAny(restarts.Values);
            }

            var up = restarts.Where(restart => restart.Value.IsCompleted).Select(restart => restart.Key).ToList();
            var victim = up[random.Next(up.Count)];
            victim.KillHard();
            restarts[victim] = system.StartAsync(victim);
        }, [(0.2, 0.4), (0.5, 0.7)]);
        await Task.WhenAll(restarts.Values);

        Assert.True(answered.Count >= FaultRun.Images * 9 / 10, $"only {answered.Count} of {FaultRun.Images} were answered with success");
    }
}

public sealed class IngestKillTests(DistributedSystem system, ITestOutputHelper output) : IClassFixture<DistributedSystem>
{
    [Fact]
    public async Task REQ_PIPE_04_Killing_the_ingest_process_mid_send_leaves_nothing_half_recorded()
    {
        var answered = await FaultRun.SendDuringAsync(system, output, seed: 41, () => system.RestartAsync(system.Ingest));
        Assert.NotEmpty(answered);
    }
}

public sealed class BrokerRestartTests(DistributedSystem system, ITestOutputHelper output) : IClassFixture<DistributedSystem>
{
    [Fact]
    public async Task REQ_PIPE_05_A_RabbitMQ_restart_mid_run_loses_or_doubles_nothing()
    {
        var answered = await FaultRun.SendDuringAsync(system, output, seed: 51, TestServices.RestartRabbitMqAsync);
        Assert.True(answered.Count >= FaultRun.Images * 9 / 10, $"only {answered.Count} of {FaultRun.Images} were answered with success");
    }
}

public sealed class DatabaseRestartTests(DistributedSystem system, ITestOutputHelper output) : IClassFixture<DistributedSystem>
{
    [Fact]
    public async Task REQ_PIPE_06_A_PostgreSQL_restart_mid_run_loses_or_doubles_nothing()
    {
        var answered = await FaultRun.SendDuringAsync(system, output, seed: 61, TestServices.RestartPostgresAsync);
        Assert.NotEmpty(answered);
    }
}

public sealed class DeadLetterTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    [Fact]
    public async Task REQ_PIPE_07_A_poison_message_ends_in_error_after_bounded_retries_and_an_admin_sees_and_replays_it()
    {
        await PublishPoisonAsync();

        using var admin = await system.AdminClientAsync();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonElement listed = default;
        while (DateTime.UtcNow < deadline)
        {
            listed = await admin.GetFromJsonAsync<JsonElement>("api/admin/dead-letters");
            if (listed.GetProperty("messages").GetArrayLength() > 0)
            {
                break;
            }

            await Task.Delay(1000);
        }

        var messages = listed.GetProperty("messages");
        Assert.Equal(1, messages.GetArrayLength());
        Assert.Equal("grade-image", messages[0].GetProperty("endpoint").GetString());
        Assert.Equal(PoisonUid, messages[0].GetProperty("body").GetProperty("sopInstanceUid").GetString());
        Assert.Contains("not recorded", messages[0].GetProperty("faultMessage").GetString(), StringComparison.Ordinal);

        // Listing does not consume: the message is still there.
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("api/admin/dead-letters")).GetProperty("messages").GetArrayLength());

        using var replay = await admin.PostAsync("api/admin/dead-letters/replay", null);
        replay.EnsureSuccessStatusCode();
        Assert.Equal(1, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetInt32());

        // Replayed, it fails again (the instance still does not exist) and comes back to _error, bounded again.
        deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline &&
               (await admin.GetFromJsonAsync<JsonElement>("api/admin/dead-letters")).GetProperty("messages").GetArrayLength() == 0)
        {
            await Task.Delay(1000);
        }

        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("api/admin/dead-letters")).GetProperty("messages").GetArrayLength());
        Assert.Equal(0, await system.ScalarAsync("""SELECT count(*) FROM "Predictions" """));
    }

    [Fact]
    public async Task REQ_PIPE_07_The_dead_letter_API_refuses_a_signed_in_grader()
    {
        const string graderEmail = "grader@distributed.test";
        const string graderPassword = "Distributed-Grader-Passphrase-1!";
        await system.CreateUserAsync(graderEmail, graderPassword, GraderRole);

        using var grader = await system.ClientAsync(graderEmail, graderPassword);
        // Signed in and allowed what a grader does: the refusal below is the role's, not a missing login.
        using (var worklist = await grader.GetAsync("api/screenings"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, worklist.StatusCode);
        }

        using (var list = await grader.GetAsync("api/admin/dead-letters"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, list.StatusCode);
        }

        using (var replay = await grader.PostAsync("api/admin/dead-letters/replay", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, replay.StatusCode);
        }
    }

    [Fact]
    public async Task REQ_PIPE_07_The_dead_letter_API_refuses_a_caller_without_a_token()
    {
        using var anonymous = new HttpClient { BaseAddress = system.PortalAddress };
        using var response = await anonymous.GetAsync("api/admin/dead-letters");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static readonly string[] GraderRole = ["Grader"];

    private const string PoisonUid = "2.25.1234567890123456789";
    private static readonly string[] ImageReceivedUrn = ["urn:message:RetinaScreen.Contracts:ImageReceived"];

    /// <summary>An ImageReceived naming an instance nobody recorded: every attempt fails the same way.</summary>
    private async Task PublishPoisonAsync()
    {
        var rabbit = TestServices.Rabbit;
        var factory = new ConnectionFactory { HostName = rabbit.Host, Port = rabbit.Port, UserName = rabbit.User, Password = rabbit.Password, VirtualHost = system.VirtualHost };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var envelope = JsonSerializer.Serialize(new
        {
            messageId = Guid.NewGuid(),
            messageType = ImageReceivedUrn,
            message = new
            {
                sopInstanceUid = PoisonUid,
                sopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.5.1",
                studyInstanceUid = "2.25.1",
                storageKey = "nowhere",
                sha256 = new string('0', 64),
                receivedAt = DateTimeOffset.UtcNow,
            },
        });
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync("RetinaScreen.Contracts:ImageReceived", string.Empty, mandatory: true, properties, Encoding.UTF8.GetBytes(envelope));
    }
}
