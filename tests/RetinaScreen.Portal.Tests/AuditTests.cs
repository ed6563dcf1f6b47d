using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data.Auditing;

namespace RetinaScreen.Portal.Tests;

[Collection(SeededPortalCollection.Name)]
public sealed class AuditTests(SeededPortal portal)
{
    [Fact]
    public async Task REQ_AUD_01_Audit_events_cannot_be_updated_or_deleted_through_the_model()
    {
        var id = await portal.Host.WithDbAsync(async db =>
        {
            var audit = new AuditEvent { OccurredAt = DateTimeOffset.UtcNow, Actor = "test", Action = "test.appended" };
            db.AuditEvents.Add(audit);
            await db.SaveChangesAsync();
            return audit.Id;
        });

        await portal.Host.WithDbAsync(async db =>
        {
            var audit = await db.AuditEvents.SingleAsync(a => a.Id == id);
            audit.Action = "test.rewritten";
            await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
            Assert.Throws<InvalidOperationException>(() => db.SaveChanges());
            return 0;
        });

        await portal.Host.WithDbAsync(async db =>
        {
            db.AuditEvents.Remove(await db.AuditEvents.SingleAsync(a => a.Id == id));
            await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
            return 0;
        });

        var stored = await portal.Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(a => a.Id == id));
        Assert.Equal("test.appended", stored.Action);
    }

    [Fact]
    public async Task REQ_AUD_01_Audit_events_cannot_be_changed_below_the_model_either()
    {
        var id = await portal.Host.WithDbAsync(async db =>
        {
            var audit = new AuditEvent { OccurredAt = DateTimeOffset.UtcNow, Actor = "test", Action = "test.bulk" };
            db.AuditEvents.Add(audit);
            await db.SaveChangesAsync();
            return audit.Id;
        });

        await portal.Host.WithDbAsync(async db =>
        {
            await Assert.ThrowsAsync<SqliteException>(() =>
                db.AuditEvents.Where(a => a.Id == id).ExecuteUpdateAsync(set => set.SetProperty(a => a.Action, "test.forged")));
            await Assert.ThrowsAsync<SqliteException>(() => db.AuditEvents.Where(a => a.Id == id).ExecuteDeleteAsync());
            return 0;
        });

        Assert.Equal("test.bulk", (await portal.Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync(a => a.Id == id))).Action);
    }

    [Fact]
    public async Task REQ_AUD_01_Successful_login_is_audited()
    {
        var before = await portal.Host.WithDbAsync(db => db.AuditEvents.MaxAsync(a => (long?)a.Id)) ?? 0;
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        var logins = await portal.Host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(a => a.Id > before && a.Action == "user.login" && a.Actor == SeededPortal.GraderEmail)
            .ToListAsync());

        var login = Assert.Single(logins);
        Assert.Equal("user", login.EntityType);
        Assert.False(string.IsNullOrEmpty(login.EntityId));
    }
}
