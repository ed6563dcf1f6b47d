using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;
using RetinaScreen.Distributed.Tests.Infrastructure;

namespace RetinaScreen.Distributed.Tests;

/// <summary>
/// The human side of the model (REQ-PIPE-11) on the real PostgreSQL, migrated the way `retinascreen migrate` does:
/// graders' reviews and the adjudication of a case are stored beside the model's answer, a grader cannot review the
/// same case twice, a case has one adjudication, and grades stay on the ICDR scale.
/// </summary>
public sealed class ReviewModelTests : IAsyncLifetime
{
    private readonly string _name = "rs_review_" + Guid.NewGuid().ToString("N")[..8];
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await TestServices.CreateDatabaseAsync(_name);
        await using var db = Context();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task REQ_PIPE_11_Reviews_and_an_adjudication_are_stored_once_per_grader_and_once_per_case()
    {
        var caseId = await NewScreeningAsync();
        var at = DateTimeOffset.UtcNow;
        await using (var db = Context())
        {
            db.Reviews.Add(new Review { ScreeningCaseId = caseId, ReviewerId = "grader-a", Grade = 2, ReferableDr = true, AgreesWithModel = true, ReviewedAt = at });
            db.Reviews.Add(new Review { ScreeningCaseId = caseId, ReviewerId = "grader-b", Grade = 1, ReferableDr = false, AgreesWithModel = false, ReviewedAt = at });
            db.Adjudications.Add(new Adjudication { ScreeningCaseId = caseId, AdjudicatorId = "senior", Grade = 2, ReferableDr = true, Rationale = "IRMA in the superior arcade", AdjudicatedAt = at });
            await db.SaveChangesAsync();
        }

        await using (var db = Context())
        {
            var reviews = await db.Reviews.Where(r => r.ScreeningCaseId == caseId).OrderBy(r => r.ReviewerId).ToListAsync();
            Assert.Equal(["grader-a", "grader-b"], reviews.Select(r => r.ReviewerId));
            Assert.Equal([2, 1], reviews.Select(r => r.Grade ?? -1));
            Assert.Equal(at.ToUnixTimeMilliseconds(), reviews[0].ReviewedAt.ToUnixTimeMilliseconds());
            var adjudication = await db.Adjudications.SingleAsync(a => a.ScreeningCaseId == caseId);
            Assert.Equal((2, true), (adjudication.Grade, adjudication.ReferableDr));
        }

        await AssertRefusedAsync(db => db.Reviews.Add(new Review { ScreeningCaseId = caseId, ReviewerId = "grader-a", Grade = 3, ReviewedAt = at }));
        await AssertRefusedAsync(db => db.Adjudications.Add(new Adjudication { ScreeningCaseId = caseId, AdjudicatorId = "other", Grade = 1, AdjudicatedAt = at }));
        await AssertRefusedAsync(db => db.Reviews.Add(new Review { ScreeningCaseId = caseId, ReviewerId = "grader-c", Grade = 5, ReviewedAt = at }));
        await AssertRefusedAsync(db => db.Reviews.Add(new Review { ScreeningCaseId = Guid.CreateVersion7(), ReviewerId = "grader-a", Grade = 0, ReviewedAt = at }));

        await using (var db = Context())
        {
            Assert.Equal(2, await db.Reviews.CountAsync(r => r.ScreeningCaseId == caseId));
            Assert.Equal(1, await db.Adjudications.CountAsync(a => a.ScreeningCaseId == caseId));
        }
    }

    private async Task AssertRefusedAsync(Action<RetinaScreenDbContext> add)
    {
        await using var db = Context();
        add(db);
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }

    private async Task<Guid> NewScreeningAsync()
    {
        await using var db = Context();
        var patient = new Patient { PatientId = "REVIEW-1" };
        var study = new Study { StudyInstanceUid = "2.25." + Random.Shared.NextInt64(1, long.MaxValue), Patient = patient, FirstReceivedAt = DateTimeOffset.UtcNow };
        var screening = new ScreeningCase { Study = study, ReceivedAt = DateTimeOffset.UtcNow };
        db.Screenings.Add(screening);
        await db.SaveChangesAsync();
        return screening.Id;
    }

    private RetinaScreenDbContext Context() =>
        new(new DbContextOptionsBuilder<RetinaScreenDbContext>().UseRetinaScreenPostgreSql(_connectionString).Options);
}
