using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RetinaScreen.Contracts;
using RetinaScreen.Data;
using RetinaScreen.Data.Identity;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Outbox;
using RetinaScreen.Data.Screening;
using RetinaScreen.Distributed.Tests.Infrastructure;
using RetinaScreen.Screening;

namespace RetinaScreen.Distributed.Tests;

/// <summary>
/// The screening module on the real PostgreSQL, migrated the way `retinascreen migrate` does (REQ-READ-01..04): claims
/// are exclusive across connections, a person reads a case once, readings that disagree go to adjudication and the
/// adjudicator's reading is final, every transition leaves its event in the outbox, and the database refuses grades off
/// the ICDR scale even when the module is bypassed.
/// </summary>
public sealed class ReadingLifecycleTests : IAsyncLifetime
{
    private static readonly Reader GraderA = new("grader-a", "a@clinic.test", [Roles.Grader]);
    private static readonly Reader GraderB = new("grader-b", "b@clinic.test", [Roles.Grader]);
    private static readonly Reader Senior = new("senior", "senior@clinic.test", [Roles.Adjudicator]);

    private readonly string _name = "rs_reading_" + Guid.NewGuid().ToString("N")[..8];
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await TestServices.CreateDatabaseAsync(_name);
        await using var db = Context();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task REQ_READ_01_Twenty_concurrent_claims_on_one_case_leave_exactly_one_holder()
    {
        var uid = await NewReferableCaseAsync(readingsRequired: 1);
        var readers = Enumerable.Range(0, 20).Select(i => new Reader($"grader-{i}", $"g{i}@clinic.test", [Roles.Grader])).ToList();

        var results = await Task.WhenAll(readers.Select(async reader =>
        {
            await using var db = Context();
            return await Lifecycle(db).ClaimAsync(uid, reader, CancellationToken.None);
        }));

        Assert.Single(results, r => r.Value is not null);
        Assert.Equal(19, results.Count(r => r.Refusal == CaseRefusal.HeldByAnother));
        await using var check = Context();
        var holder = await check.Screenings.Where(c => c.Study!.StudyInstanceUid == uid).Select(c => c.ClaimedById).SingleAsync();
        Assert.Equal(readers[Array.FindIndex(results, r => r.Value is not null)].Id, holder);
    }

    [Fact]
    public async Task REQ_READ_02_Discordant_readings_go_to_adjudication_and_the_adjudicator_decides()
    {
        var uid = await NewReferableCaseAsync(readingsRequired: 2);

        Assert.Equal(ReadingQueue.SecondRead, (await ReadAsync(uid, GraderA, Graded(1, 1))).Queue);
        // Grades three steps apart in the right eye, and a different referral: they disagree.
        var second = await ReadAsync(uid, GraderB, Graded(4, 1));
        Assert.Equal((ScreeningStatus.Reviewed, ReadingQueue.Adjudication), (second.Status, second.Queue));

        await using (var db = Context())
        {
            var refused = await Lifecycle(db).ClaimAsync(uid, GraderA, CancellationToken.None);
            Assert.Equal(CaseRefusal.Forbidden, refused.Refusal);
        }

        var final = await ReadAsync(uid, Senior, Graded(3, 1));
        Assert.Equal((ScreeningStatus.Adjudicated, (ReadingQueue?)null, FinalSource.Adjudicator), (final.Status, final.Queue, final.FinalSource));

        await using (var db = Context())
        {
            var screening = await db.Screenings.SingleAsync(c => c.Study!.StudyInstanceUid == uid);
            Assert.Equal(Referral.Refer, screening.FinalReferral);
            Assert.NotNull(screening.ReviewedAt);
            Assert.NotNull(screening.AdjudicatedAt);
            Assert.True(screening.FinalisedAt >= screening.ReviewedAt);
            Assert.Null(screening.ClaimedById);

            // One event per transition; those of one commit share a timestamp, so their order is not asserted.
            var events = await db.OutboxMessages.Select(m => m.Type).ToListAsync();
            Assert.Equal(
                new[] { typeof(CaseAdjudicated).FullName!, typeof(CaseFinalised).FullName!, typeof(ReadingSubmitted).FullName!, typeof(ReadingSubmitted).FullName!, typeof(ReadingSubmitted).FullName! },
                events.Order(StringComparer.Ordinal));
            var readings = await db.Readings.Where(r => r.ScreeningCase!.Study!.StudyInstanceUid == uid).OrderBy(r => r.SubmittedAt).ToListAsync();
            Assert.Equal([4, 3], readings.Skip(1).Select(r => r.Right!.Grade ?? -1));
            Assert.Equal(3, await db.AuditEvents.CountAsync(a => a.Action == "reading.submitted" && a.EntityId == uid));
        }
    }

    [Fact]
    public async Task REQ_READ_03_A_double_submit_a_stale_lease_and_an_unclaimed_case_are_refused_and_write_nothing()
    {
        var uid = await NewReferableCaseAsync(readingsRequired: 2);
        var clock = new MovableClock(DateTimeOffset.UtcNow);

        await using (var db = Context())
        {
            var unclaimed = await Lifecycle(db, clock).SubmitReadingAsync(uid, GraderA, Graded(2, 2), CancellationToken.None);
            Assert.Equal(CaseRefusal.NotClaimed, unclaimed.Refusal);
        }

        await using (var db = Context())
        {
            Assert.NotNull((await Lifecycle(db, clock).ClaimAsync(uid, GraderA, CancellationToken.None)).Value);
        }

        clock.Advance(TimeSpan.FromMinutes(16));
        await using (var db = Context())
        {
            var stale = await Lifecycle(db, clock).SubmitReadingAsync(uid, GraderA, Graded(2, 2), CancellationToken.None);
            Assert.Equal(CaseRefusal.LeaseLapsed, stale.Refusal);
        }

        await using (var db = Context())
        {
            Assert.NotNull((await Lifecycle(db, clock).ClaimAsync(uid, GraderA, CancellationToken.None)).Value);
        }

        var twice = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var db = Context();
            return await Lifecycle(db, clock).SubmitReadingAsync(uid, GraderA, Graded(2, 2), CancellationToken.None);
        }));
        Assert.Single(twice, r => r.Value is not null);
        Assert.Single(twice, r => r.Refusal == CaseRefusal.AlreadyRead);

        await using (var db = Context())
        {
            Assert.Equal(1, await db.Readings.CountAsync(r => r.ScreeningCase!.Study!.StudyInstanceUid == uid));
            var again = await Lifecycle(db, clock).ClaimAsync(uid, GraderA, CancellationToken.None);
            Assert.Equal(CaseRefusal.AlreadyRead, again.Refusal);
        }
    }

    [Fact]
    public async Task REQ_READ_04_The_database_refuses_a_grade_off_the_ICDR_scale_and_a_second_reading_by_one_person()
    {
        var uid = await NewReferableCaseAsync(readingsRequired: 1);
        Guid caseId;
        await using (var db = Context())
        {
            caseId = await db.Screenings.Where(c => c.Study!.StudyInstanceUid == uid).Select(c => c.Id).SingleAsync();
            db.Readings.Add(NewReading(caseId, "grader-a", 2));
            await db.SaveChangesAsync();
        }

        await AssertRefusedAsync(db => db.Readings.Add(NewReading(caseId, "grader-a", 1)));
        await AssertRefusedAsync(db => db.Readings.Add(NewReading(caseId, "grader-c", 5)));
    }

    private static Reading NewReading(Guid caseId, string reader, int grade) => new()
    {
        ScreeningCaseId = caseId,
        ReaderId = reader,
        Queue = ReadingQueue.Primary,
        Right = new EyeReading { Grade = grade, Dme = false },
        Left = new EyeReading { Grade = 0, Dme = false },
        SubmittedAt = DateTimeOffset.UtcNow,
    };

    private static ReadingInput Graded(int right, int left) => new()
    {
        Right = new EyeReading { Grade = right, Dme = false },
        Left = new EyeReading { Grade = left, Dme = false },
    };

    private async Task<SubmittedReading> ReadAsync(string uid, Reader reader, ReadingInput input)
    {
        await using var db = Context();
        var lifecycle = Lifecycle(db);
        Assert.NotNull((await lifecycle.ClaimAsync(uid, reader, CancellationToken.None)).Value);
        var result = await lifecycle.SubmitReadingAsync(uid, reader, input, CancellationToken.None);
        Assert.True(result.Value is not null, result.Detail);
        return result.Value!;
    }

    private async Task AssertRefusedAsync(Action<RetinaScreenDbContext> add)
    {
        await using var db = Context();
        add(db);
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }

    /// <summary>A graded fundus case waiting in the primary queue, as the lifecycle leaves a model-referable one.</summary>
    private async Task<string> NewReferableCaseAsync(int readingsRequired)
    {
        await using var db = Context();
        var now = DateTimeOffset.UtcNow;
        var study = new Study
        {
            StudyInstanceUid = "2.25." + Random.Shared.NextInt64(1, long.MaxValue),
            Patient = new Patient { PatientId = "READ-" + Guid.NewGuid().ToString("N")[..6] },
            FirstReceivedAt = now,
        };
        study.Screening = new ScreeningCase
        {
            Study = study, ReceivedAt = now, Kind = CaseKind.Fundus, Status = ScreeningStatus.AwaitingReview, Queue = ReadingQueue.Primary,
            ReadingsRequired = readingsRequired, WorstGrade = 3, ReferableDr = true, ReferableDme = false, Priority = 2,
        };
        db.Studies.Add(study);
        await db.SaveChangesAsync();
        return study.StudyInstanceUid;
    }

    private static ScreeningLifecycle Lifecycle(RetinaScreenDbContext db, TimeProvider? clock = null) =>
        new(db, Options.Create(new ReadingOptions()), new OutboxSignal(), clock ?? TimeProvider.System);

    private RetinaScreenDbContext Context() =>
        new(new DbContextOptionsBuilder<RetinaScreenDbContext>().UseRetinaScreenPostgreSql(_connectionString).Options);

    private sealed class MovableClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
