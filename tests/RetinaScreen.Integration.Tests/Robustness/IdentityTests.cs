using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;
using RetinaScreen.Integration.Tests.Ingest;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>
/// Senders that contradict what is stored: a stored patient renamed, another patient's study extended, a stored SOP
/// Instance UID re-used for other bytes, malformed UIDs. Against the real host: each is refused with its DIMSE status,
/// kept in quarantine where the issue asks, and never changes the record; an administrator settles quarantine over
/// the portal's API. Seeds 963_000–963_999.
/// </summary>
public sealed class IdentityTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private const string StoredName = "Test^Integration";
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-identity-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");
    private DatabaseProbe Database => new(DataFolder);

    [Fact]
    public async Task REQ_ING_40_Known_patient_id_with_another_name_is_quarantined_and_the_stored_patient_is_unchanged()
    {
        var patient = "IT-963000";
        var first = await PhotographAsync(963_000, patient);
        Assert.True((await StoreAsync(first)).IsSuccess);

        var renamed = await PhotographAsync(963_001, patient);
        await DcmodifyAsync(renamed, "PatientName=Someone^Else", "PatientSex=O");
        var sop = await TestImages.ReadSopInstanceUidAsync(renamed);

        var answer = await StoreAsync(renamed);
        Assert.Equal(DicomStatus.RefusedNotAuthorized, answer.Status);
        // The stored patient has no sex recorded: only the name conflicts, and a quarantined object fills in nothing.
        Assert.Equal("Conflicting patient name for this Patient ID", answer.ErrorComment);

        Assert.Equal(0, await Database.InstancesAsync(sop));
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM Patients WHERE PatientId = $id AND Name = $name AND Sex IS NULL", ("$id", patient), ("$name", StoredName)));
        await AssertQuarantinedAsync(sop, "PatientDemographicsConflict", renamed);
        // The log says what happened without the name it refused.
        Assert.DoesNotContain("Someone", host.Log, StringComparison.Ordinal);

        await HostStillServes.AssertAsync(host, _work, 963_900);
    }

    [Fact]
    public async Task REQ_ING_41_Another_patients_instance_in_an_existing_study_is_quarantined_not_added()
    {
        var owner = await PhotographAsync(963_010, "IT-963010");
        Assert.True((await StoreAsync(owner)).IsSuccess);
        var study = await TestImages.ReadStudyInstanceUidAsync(owner);

        var intruder = await PhotographAsync(963_011, "IT-963011", study);
        var sop = await TestImages.ReadSopInstanceUidAsync(intruder);
        var answer = await StoreAsync(intruder);
        Assert.Equal(DicomStatus.RefusedNotAuthorized, answer.Status);
        Assert.Equal("Study Instance UID is stored under another patient", answer.ErrorComment);

        Assert.Equal(0, await Database.InstancesAsync(sop));
        Assert.Equal(0, await Database.CountAsync("SELECT COUNT(*) FROM Patients WHERE PatientId = 'IT-963011'"));
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM Instances i JOIN Series se ON se.Id = i.SeriesId JOIN Studies s ON s.Id = se.StudyId WHERE s.StudyInstanceUid = $study",
            ("$study", study)));
        await AssertQuarantinedAsync(sop, "StudyOfAnotherPatient", intruder);

        await HostStillServes.AssertAsync(host, _work, 963_901);
    }

    [Fact]
    public async Task REQ_ING_42_Known_sop_instance_uid_with_other_bytes_is_refused_and_kept_for_review_an_identical_resend_succeeds()
    {
        var original = await PhotographAsync(963_020, "IT-963020");
        var sop = await TestImages.ReadSopInstanceUidAsync(original);
        Assert.True((await StoreAsync(original)).IsSuccess);
        var storedSha = await Part10.ScalarAsync(DataFolder, "SELECT Sha256 FROM Instances WHERE SopInstanceUid = $uid", sop);

        var altered = Path.Combine(_work, "altered.dcm");
        File.Copy(original, altered);
        await DcmodifyAsync(altered, "ImageComments=another acquisition");

        var answer = await StoreAsync(altered);
        Assert.Equal(DicomStatus.DuplicateSopInstance, answer.Status);
        Assert.Equal("SOP Instance UID already stored with other content", answer.ErrorComment);
        Assert.Equal(storedSha, await Part10.ScalarAsync(DataFolder, "SELECT Sha256 FROM Instances WHERE SopInstanceUid = $uid", sop));
        await AssertQuarantinedAsync(sop, "SopInstanceConflict", altered);

        // The same altered copy again: refused again, still one record for review.
        Assert.Equal(DicomStatus.DuplicateSopInstance, (await StoreAsync(altered)).Status);
        Assert.Equal(1, await Database.CountAsync("SELECT COUNT(*) FROM QuarantinedInstances WHERE SopInstanceUid = $uid", ("$uid", sop)));

        // STOW-RS names the same conflict in the Failure Reason, 409 as nothing was stored.
        using (var device = await DeviceClientAsync("Identity STOW camera"))
        {
            using var stow = await device.PostAsync("dicomweb/studies", StowRsTests.Multipart([File.ReadAllBytes(altered)]));
            Assert.Equal(HttpStatusCode.Conflict, stow.StatusCode);
            var failed = JsonDocument.Parse(await stow.Content.ReadAsStringAsync()).RootElement.GetProperty("00081198").GetProperty("Value")[0];
            Assert.Equal(0x0111, failed.GetProperty("00081197").GetProperty("Value")[0].GetInt32());
        }

        // The identical re-send is idempotent: success, nothing new.
        Assert.Equal(DicomStatus.Success, (await StoreAsync(original)).Status);
        Assert.Equal(1, await Database.InstancesAsync(sop));

        // Two associations racing with one new UID and different bytes: one is stored, the other refused and kept.
        var racer = await PhotographAsync(963_021, "IT-963021");
        var racerSop = await TestImages.ReadSopInstanceUidAsync(racer);
        var rival = Path.Combine(_work, "rival.dcm");
        File.Copy(racer, rival);
        await DcmodifyAsync(rival, "ImageComments=rival");
        var answers = await Task.WhenAll(StoreAsync(racer, "RACER1"), StoreAsync(rival, "RACER2"));
        Assert.Equal([DicomStatus.Success, DicomStatus.DuplicateSopInstance], answers.Select(a => a.Status!.Value).Order().ToArray());
        Assert.Equal(1, await Database.InstancesAsync(racerSop));
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM QuarantinedInstances WHERE SopInstanceUid = $uid AND Reason = 'SopInstanceConflict'", ("$uid", racerSop)));

        await HostStillServes.AssertAsync(host, _work, 963_902);
    }

    [Theory]
    [InlineData(963_030, "StudyInstanceUID", "long", "Study Instance UID (0020,000D) is not a valid UID (PS3.5 9.1).")]
    [InlineData(963_031, "SeriesInstanceUID", "1.2.abc", "Series Instance UID (0020,000E) is not a valid UID (PS3.5 9.1).")]
    [InlineData(963_032, "StudyInstanceUID", "1.2.é", "Study Instance UID (0020,000D) is not a valid UID (PS3.5 9.1).")]
    [InlineData(963_033, "StudyInstanceUID", "1.2.840.0123", "Study Instance UID (0020,000D) is not a valid UID (PS3.5 9.1).")]
    [InlineData(963_034, "PatientID", "long", "Patient ID (0010,0020) is too long for its VR (LO).")]
    public async Task REQ_ING_43_Malformed_uids_and_overlong_values_are_refused_and_nothing_is_stored(int seed, string attribute, string value, string comment)
    {
        var file = await PhotographAsync(seed, $"IT-{seed}");
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        // 20,002 characters: what a sender once stored here.
        var written = value == "long" ? string.Concat(Enumerable.Repeat("1.", 10_000)) + "11" : value;
        await DcmodifyAsync(file, $"{attribute}={written}");
        var objectsBefore = CountObjects();
        var quarantinedBefore = await Database.CountAsync("SELECT COUNT(*) FROM QuarantinedInstances");

        var answer = await StoreAsync(file);
        Assert.Equal(DicomStatus.DataSetDoesNotMatchSopClass, answer.Status);
        Assert.Equal(comment, answer.ErrorComment);
        Assert.Equal(0, await Database.InstancesAsync(sop));
        Assert.Equal(quarantinedBefore, await Database.CountAsync("SELECT COUNT(*) FROM QuarantinedInstances"));
        Assert.Equal(objectsBefore, CountObjects());

        await HostStillServes.AssertAsync(host, _work, 963_910 + seed % 10);
    }

    [Fact]
    public async Task REQ_ING_44_Administrator_releases_and_discards_quarantined_objects_over_the_api_and_each_decision_is_audited()
    {
        using var admin = await host.LoginAsync();

        // A rename attempt released under the stored identity: recorded and graded, the stored name kept.
        var patient = "IT-963040";
        Assert.True((await StoreAsync(await PhotographAsync(963_040, patient))).IsSuccess);
        var renamed = await PhotographAsync(963_041, patient);
        await DcmodifyAsync(renamed, "PatientName=Renamed^Person");
        var renamedSop = await TestImages.ReadSopInstanceUidAsync(renamed);
        Assert.Equal(DicomStatus.RefusedNotAuthorized, (await StoreAsync(renamed)).Status);

        var open = await admin.GetFromJsonAsync<JsonElement>("api/admin/quarantine");
        var item = open.EnumerateArray().Single(i => i.GetProperty("sopInstanceUid").GetString() == renamedSop);
        Assert.Equal("PatientDemographicsConflict", item.GetProperty("reason").GetString());
        Assert.Equal("Renamed^Person", item.GetProperty("sent").GetProperty("name").GetString());
        Assert.Equal(StoredName, item.GetProperty("storedPatient").GetProperty("name").GetString());
        var id = item.GetProperty("id").GetString()!;

        using (var released = await admin.PostAsJsonAsync($"api/admin/quarantine/{id}/release", new { @as = "StoredIdentity" }))
        {
            Assert.True(released.StatusCode == HttpStatusCode.Accepted, await released.Content.ReadAsStringAsync());
        }

        await WaitAsync(async () => await Database.PredictionsAsync(renamedSop) >= 1, "the released photograph to be graded");
        Assert.Equal("Released", (await admin.GetFromJsonAsync<JsonElement>($"api/admin/quarantine/{id}")).GetProperty("status").GetString());
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM Instances i JOIN Series se ON se.Id = i.SeriesId JOIN Studies s ON s.Id = se.StudyId JOIN Patients p ON p.Id = s.PatientId " +
            "WHERE i.SopInstanceUid = $uid AND p.PatientId = $patient AND p.Name = $name",
            ("$uid", renamedSop), ("$patient", patient), ("$name", StoredName)));
        await AssertAuditedAsync(id, "quarantine.release-requested", EmbeddedHost.AdminEmail);
        await AssertAuditedAsync(id, "quarantine.released", EmbeddedHost.AdminEmail);

        // Deciding twice is a precise 409; an unknown id a 404.
        await AssertProblemAsync(await admin.PostAsJsonAsync($"api/admin/quarantine/{id}/release", new { }), HttpStatusCode.Conflict, "NotOpen");
        await AssertProblemAsync(await admin.PostAsync($"api/admin/quarantine/{id}/discard", null), HttpStatusCode.Conflict, "NotOpen");
        await AssertProblemAsync(await admin.PostAsync($"api/admin/quarantine/{Guid.NewGuid()}/discard", null), HttpStatusCode.NotFound, "NotFound");

        // A correction the administrator confirms: the stored patient takes the sent demographics.
        var corrected = await PhotographAsync(963_042, patient);
        await DcmodifyAsync(corrected, "PatientName=Integration^Test^Corrected", "PatientBirthDate=19700101");
        var correctedSop = await TestImages.ReadSopInstanceUidAsync(corrected);
        Assert.Equal(DicomStatus.RefusedNotAuthorized, (await StoreAsync(corrected)).Status);
        var correctedId = await QuarantineIdAsync(admin, correctedSop);
        using (var released = await admin.PostAsJsonAsync($"api/admin/quarantine/{correctedId}/release", new { @as = "SentDemographics" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, released.StatusCode);
        }

        await WaitAsync(async () => await Database.InstancesAsync(correctedSop) == 1, "the corrected photograph to be recorded");
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM Patients WHERE PatientId = $patient AND Name = 'Integration^Test^Corrected' AND BirthDate = '19700101'", ("$patient", patient)));

        // Another patient's photograph in that study is discarded: audited, kept as evidence, never recorded.
        var study = await Part10.ScalarAsync(DataFolder,
            "SELECT s.StudyInstanceUid FROM Instances i JOIN Series se ON se.Id = i.SeriesId JOIN Studies s ON s.Id = se.StudyId WHERE i.SopInstanceUid = $uid", renamedSop);
        var intruder = await PhotographAsync(963_043, "IT-963043", study);
        var intruderSop = await TestImages.ReadSopInstanceUidAsync(intruder);
        Assert.Equal(DicomStatus.RefusedNotAuthorized, (await StoreAsync(intruder)).Status);
        var intruderId = await QuarantineIdAsync(admin, intruderSop);
        await AssertProblemAsync(await admin.PostAsJsonAsync($"api/admin/quarantine/{intruderId}/release", new { @as = "SentDemographics" }), HttpStatusCode.Conflict, "ReleaseNotApplicable");
        using (var discarded = await admin.PostAsync($"api/admin/quarantine/{intruderId}/discard", null))
        {
            Assert.True(discarded.StatusCode == HttpStatusCode.OK, await discarded.Content.ReadAsStringAsync());
            Assert.Equal("Discarded", (await discarded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        await AssertAuditedAsync(intruderId, "quarantine.discarded", EmbeddedHost.AdminEmail);
        await AssertProblemAsync(await admin.PostAsync($"api/admin/quarantine/{intruderId}/discard", null), HttpStatusCode.Conflict, "NotOpen");
        Assert.Equal(0, await Database.InstancesAsync(intruderSop));

        // Only administrators see the quarantine.
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/admin/quarantine")).StatusCode);

        await HostStillServes.AssertAsync(host, _work, 963_904);
    }

    private async Task<string> PhotographAsync(int seed, string patientId, string? study = null) =>
        await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed), Path.Combine(_work, $"op-{seed}-{Guid.NewGuid():N}.dcm"), "R", patientId, study);

    private static async Task DcmodifyAsync(string file, params string[] assignments)
    {
        var arguments = new List<string> { "-nb" };
        foreach (var assignment in assignments)
        {
            arguments.AddRange(["-i", assignment]);
        }

        arguments.Add(file);
        var result = await ExternalTool.RunAsync("dcmodify", [.. arguments]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private async Task<DicomStoreItemResult> StoreAsync(string file, string callingAe = "IDCAM") =>
        Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", host.DicomPort, callingAe, "RETINASCREEN", [DicomStoreItem.FromFile(file)]));

    /// <summary>Quarantined durably: an open record, and the object in the store under its hash with the data set as sent.</summary>
    private async Task AssertQuarantinedAsync(string sop, string reason, string sentFile)
    {
        var key = await Part10.ScalarAsync(DataFolder,
            $"SELECT StorageKey FROM QuarantinedInstances WHERE SopInstanceUid = $uid AND Reason = '{reason}' AND Status = 'Open'", sop);
        Assert.NotNull(key);
        var sha = await Part10.ScalarAsync(DataFolder, "SELECT Sha256 FROM QuarantinedInstances WHERE StorageKey = $uid", key);
        var stored = await File.ReadAllBytesAsync(Path.Combine(DataFolder, "objects", key));
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(stored)));
        Assert.Equal(Part10.Dataset(sentFile), Part10.Dataset(stored));
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents a JOIN QuarantinedInstances q ON a.EntityId = lower(q.Id) OR a.EntityId = q.Id " +
            "WHERE a.Action = 'instance.quarantined' AND q.StorageKey = $key AND a.Details NOT LIKE '%Someone%'", ("$key", key)));
    }

    private async Task AssertAuditedAsync(string id, string action, string actor) =>
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE lower(EntityId) = lower($id) AND Action = $action AND Actor = $actor",
            ("$id", id), ("$action", action), ("$actor", actor)));

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        }
    }

    private static async Task<string> QuarantineIdAsync(HttpClient admin, string sop) =>
        (await admin.GetFromJsonAsync<JsonElement>("api/admin/quarantine")).EnumerateArray()
            .Single(i => i.GetProperty("sopInstanceUid").GetString() == sop).GetProperty("id").GetString()!;

    private async Task<HttpClient> DeviceClientAsync(string name)
    {
        using var admin = await host.LoginAsync();
        var token = await DevicePolicyTests.RegisterAsync(admin, name, null, null);
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private int CountObjects() =>
        Directory.Exists(Path.Combine(DataFolder, "objects"))
            ? Directory.EnumerateFiles(Path.Combine(DataFolder, "objects"), "*.dcm", SearchOption.AllDirectories).Count()
            : 0;

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(200);
        }
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
