using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Distributed.Tests.Infrastructure;

namespace RetinaScreen.Distributed.Tests;

/// <summary>
/// Identity consistency on PostgreSQL, where arrivals are not serialised by one writer: concurrent associations
/// sending one SOP Instance UID with different bytes leave one instance and one quarantined copy per UID; a rename
/// attempt is quarantined, and its release in the portal is recorded by the separate ingest process over RabbitMQ.
/// </summary>
public sealed class IdentityConsistencyTests(DistributedSystem system) : IClassFixture<DistributedSystem>
{
    [Fact]
    public async Task REQ_ING_42_REQ_ING_44_Concurrent_conflicting_bytes_and_a_released_rename_hold_on_postgresql()
    {
        var folder = Directory.CreateTempSubdirectory("retinascreen-identity-pg-").FullName;
        var client = new DicomClient();

        // Eight UIDs, each sent at the same moment by two associations with different pixel data.
        const int Pairs = 16;
        var pairs = Enumerable.Range(0, Pairs).Select(i =>
        {
            var visit = SyntheticVisit.Create(963_500 + i);
            var uid = DicomUidGenerator.NewUid();
            return (Uid: uid, Files: Enumerable.Range(0, 2).Select(variant =>
            {
                var path = Path.Combine(folder, $"pair-{i}-{variant}.dcm");
                var image = FundusSynthesizer.Generate(963_600 + i * 2 + variant, new FundusSpec { Size = 256, UngradableFraction = 0 });
                OphthalmicPhotographWriter.Create(image, visit, 1, uid).Save(path);
                return path;
            }).ToArray());
        }).ToList();

        var answers = await Task.WhenAll(pairs.SelectMany(pair => pair.Files.Select((file, n) =>
            client.StoreAsync("127.0.0.1", system.DicomPort, $"RACE{n}", "RETINASCREEN", [DicomStoreItem.FromFile(file)]))));
        var statuses = answers.Select(a => Assert.Single(a)).GroupBy(r => r.Item.SopInstanceUid)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Status!.Value).Order().ToArray());
        foreach (var (uid, _) in pairs)
        {
            Assert.Equal([DicomStatus.Success, DicomStatus.DuplicateSopInstance], statuses[uid]);
            Assert.Equal(1, await system.ScalarAsync($"""SELECT count(*) FROM "Instances" WHERE "SopInstanceUid" = '{uid}'"""));
            Assert.Equal(1, await system.ScalarAsync(
                $"""SELECT count(*) FROM "QuarantinedInstances" WHERE "SopInstanceUid" = '{uid}' AND "Reason" = 'SopInstanceConflict' AND "Status" = 'Open'"""));
        }

        // A second photograph of a stored visit under another name: refused, quarantined, then released in the portal.
        // The camera uses a full 16-character AE title, which the record keeps as "dicom:AE".
        var stored = SyntheticVisit.Create(963_700);
        var first = Path.Combine(folder, "visit-1.dcm");
        OphthalmicPhotographWriter.Create(FundusSynthesizer.Generate(963_701, new FundusSpec { Size = 256, UngradableFraction = 0 }), stored, 1).Save(first);
        Assert.True(Assert.Single(await client.StoreAsync("127.0.0.1", system.DicomPort, "RENAMINGCAMERA01", "RETINASCREEN", [DicomStoreItem.FromFile(first)])).IsSuccess);

        var renamed = Path.Combine(folder, "visit-2.dcm");
        OphthalmicPhotographWriter.Create(FundusSynthesizer.Generate(963_702, new FundusSpec { Size = 256, UngradableFraction = 0 }),
            stored with { PatientName = "Renamed^Someone" }, 2).Save(renamed);
        var refused = Assert.Single(await client.StoreAsync("127.0.0.1", system.DicomPort, "RENAMINGCAMERA01", "RETINASCREEN", [DicomStoreItem.FromFile(renamed)]));
        Assert.Equal(DicomStatus.RefusedNotAuthorized, refused.Status);
        Assert.Equal(1, await system.ScalarAsync(
            $"""SELECT count(*) FROM "Patients" WHERE "PatientId" = '{stored.PatientId}' AND "Name" = '{stored.PatientName}'"""));

        using var admin = await system.AdminClientAsync();
        var item = (await admin.GetFromJsonAsync<JsonElement>("api/admin/quarantine")).EnumerateArray()
            .Single(i => i.GetProperty("sopInstanceUid").GetString() == refused.Item.SopInstanceUid);
        using (var release = await admin.PostAsJsonAsync($"api/admin/quarantine/{item.GetProperty("id").GetString()}/release", new { @as = "StoredIdentity" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, release.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddMinutes(2);
        var sop = refused.Item.SopInstanceUid;
        while (await system.ScalarAsync($"""SELECT count(*) FROM "Predictions" p JOIN "Instances" i ON i."Id" = p."InstanceId" WHERE i."SopInstanceUid" = '{sop}'""") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The released photograph was not recorded and graded.");
            await Task.Delay(250);
        }

        Assert.Equal(1, await system.ScalarAsync(
            $"""SELECT count(*) FROM "QuarantinedInstances" WHERE "SopInstanceUid" = '{sop}' AND "Status" = 'Released'"""));
        Assert.Equal(1, await system.ScalarAsync(
            $"""SELECT count(*) FROM "Patients" WHERE "PatientId" = '{stored.PatientId}' AND "Name" = '{stored.PatientName}'"""));
        Directory.Delete(folder, recursive: true);
    }
}
