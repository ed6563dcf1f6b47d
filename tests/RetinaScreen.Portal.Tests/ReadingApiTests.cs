using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Screening;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// The reading room's API on a real portal over SQLite (REQ-READ-10..16): the worklist's order, filters and blind
/// cases; claims that only one reader wins; readings refused with a precise problem and nothing written; blind-first
/// model output; and the audit of every case opened.
/// </summary>
public sealed class ReadingApiTests : IAsyncLifetime
{
    private const string Password = "Reading-Test-Passw0rd!";
    private const string AdminEmail = "admin@reading.test";
    private static readonly DateTimeOffset BaseTime = DateTimeOffset.UtcNow.AddHours(-6);

    private PortalHost? _host;

    private PortalHost Host => _host!;

    public async Task InitializeAsync()
    {
        _host = await PortalHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["RetinaScreen:Bootstrap:AdminEmail"] = AdminEmail,
                ["RetinaScreen:Bootstrap:AdminPassword"] = Password,
            },
            SeedAsync);
        using var admin = await Host.SignedInClientAsync(AdminEmail, Password);
        foreach (var (email, role) in new[] { ("a@reading.test", "Grader"), ("b@reading.test", "Grader"), ("senior@reading.test", "Adjudicator"), ("path@reading.test", "Pathologist") })
        {
            await Host.CreateUserAsync(admin, email, Password, role);
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task REQ_READ_10_Worklist_is_most_urgent_first_then_oldest_and_filters_from_the_url()
    {
        using var grader = await SignInAsync("a@reading.test");
        var all = await WorklistAsync(grader, "");
        Assert.Equal(["UID.PDR", "UID.SEVERE", "UID.OLD-REFERABLE", "UID.NEW-REFERABLE", "UID.BLIND"], all);

        Assert.Equal(["UID.OLD-REFERABLE"], await WorklistAsync(grader, "?site=Clinic%20B"));
        Assert.Equal(["UID.PDR", "UID.SEVERE"], await WorklistAsync(grader, "?priority=2"));
        Assert.Equal(["UID.NEW-REFERABLE"], await WorklistAsync(grader, $"?from={BaseTime.AddHours(3):yyyy-MM-dd}&device=CAM2"));
        // The result filter must not reveal a blind case's model output: it leaves blind cases out.
        Assert.DoesNotContain("UID.BLIND", await WorklistAsync(grader, "?result=referable"));

        using var page = await grader.GetAsync("/api/worklist");
        var blind = (await page.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray()
            .Single(item => item.GetProperty("studyInstanceUid").GetString() == "UID.BLIND");
        Assert.True(blind.GetProperty("blind").GetBoolean());
        Assert.Equal(JsonValueKind.Null, blind.GetProperty("modelResult").ValueKind);
        Assert.Equal(JsonValueKind.Null, blind.GetProperty("worstGrade").ValueKind);

        using var pathologist = await SignInAsync("path@reading.test");
        Assert.Equal(["UID.SLIDE"], await WorklistAsync(pathologist, ""));

        using var wrongQueue = await grader.GetAsync("/api/worklist?queue=Pathology");
        Assert.Equal(HttpStatusCode.BadRequest, wrongQueue.StatusCode);
        using var badDate = await grader.GetAsync("/api/worklist?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badDate.StatusCode);
    }

    [Fact]
    public async Task REQ_READ_11_Two_readers_racing_for_one_case_one_wins_and_the_other_is_told_why()
    {
        using var a = await SignInAsync("a@reading.test");
        using var b = await SignInAsync("b@reading.test");

        var responses = await Task.WhenAll(
            a.PostAsync("/api/cases/UID.SEVERE/claim", null),
            b.PostAsync("/api/cases/UID.SEVERE/claim", null));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
        var loser = responses.Single(r => r.StatusCode == HttpStatusCode.Conflict);
        var problem = await loser.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("HeldByAnother", problem.GetProperty("code").GetString());
        var winner = responses[0].StatusCode == HttpStatusCode.OK ? a : b;
        var other = winner == a ? b : a;

        // The holder renews; the other reader sees the claim on the worklist but not as theirs.
        using var renewed = await winner.PostAsync("/api/cases/UID.SEVERE/claim", null);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        using var list = await other.GetFromJsonAsync<JsonDocument>("/api/worklist");
        var row = list!.RootElement.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("studyInstanceUid").GetString() == "UID.SEVERE");
        Assert.False(row.GetProperty("claim").GetProperty("mine").GetBoolean());

        using var notTheirs = await other.DeleteAsync("/api/cases/UID.SEVERE/claim");
        Assert.Equal(HttpStatusCode.Conflict, notTheirs.StatusCode);
        using var released = await winner.DeleteAsync("/api/cases/UID.SEVERE/claim");
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        using var taken = await other.PostAsync("/api/cases/UID.SEVERE/claim", null);
        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task REQ_READ_12_Bad_readings_get_a_precise_problem_and_write_nothing()
    {
        using var grader = await SignInAsync("a@reading.test");

        using var unclaimed = await grader.PostAsJsonAsync("/api/cases/UID.PDR/readings", Reading(2, 2));
        Assert.Equal(HttpStatusCode.Conflict, unclaimed.StatusCode);
        Assert.Equal("NotClaimed", (await unclaimed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        using var claimed = await grader.PostAsync("/api/cases/UID.PDR/claim", null);
        Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);

        using var outOfRange = await grader.PostAsJsonAsync("/api/cases/UID.PDR/readings", Reading(5, 2));
        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        var body = await outOfRange.Content.ReadAsStringAsync();
        var errors = JsonDocument.Parse(body).RootElement.TryGetProperty("errors", out var found) ? found : throw new Xunit.Sdk.XunitException(body);
        Assert.True(errors.TryGetProperty("right.grade", out _));

        using var noReason = await grader.PostAsJsonAsync("/api/cases/UID.PDR/readings", new
        {
            right = new { grade = 0, dme = false, ungradable = false },
            left = new { grade = 0, dme = false, ungradable = false },
            referral = "Refer",
        });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.True((await noReason.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("overrideReason", out _));

        using var malformed = await grader.PostAsync("/api/cases/UID.PDR/readings", new StringContent("{\"right\": {\"grade\": \"four\"", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        Assert.Equal(0, await Host.WithDbAsync(db => db.Readings.CountAsync(r => r.ScreeningCase!.Study!.StudyInstanceUid == "UID.PDR")));

        var twice = await Task.WhenAll(
            grader.PostAsJsonAsync("/api/cases/UID.PDR/readings", Reading(4, 1)),
            grader.PostAsJsonAsync("/api/cases/UID.PDR/readings", Reading(4, 1)));
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], twice.Select(r => r.StatusCode).Order());
        Assert.Equal(1, await Host.WithDbAsync(db => db.Readings.CountAsync(r => r.ScreeningCase!.Study!.StudyInstanceUid == "UID.PDR")));
        var created = await twice.Single(r => r.StatusCode == HttpStatusCode.Created).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Refer", created.GetProperty("reading").GetProperty("referral").GetString());
        Assert.Equal("Readers", created.GetProperty("finalSource").GetString());
        foreach (var response in twice)
        {
            response.Dispose();
        }

        using var again = await grader.PostAsync("/api/cases/UID.PDR/claim", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task REQ_READ_13_A_blind_first_case_hides_the_model_until_the_reader_has_submitted()
    {
        using var grader = await SignInAsync("b@reading.test");
        using var claimed = await grader.PostAsync("/api/cases/UID.BLIND/claim", null);
        Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);

        var before = await grader.GetFromJsonAsync<JsonElement>("/api/cases/UID.BLIND");
        Assert.True(before.GetProperty("modelHidden").GetBoolean());
        Assert.Equal(JsonValueKind.Null, before.GetProperty("summary").ValueKind);
        var image = before.GetProperty("eyes")[0].GetProperty("images")[0];
        Assert.Equal(JsonValueKind.Null, image.GetProperty("model").ValueKind);
        Assert.StartsWith("/api/instances/", image.GetProperty("imageUrl").GetString(), StringComparison.Ordinal);

        using var submitted = await grader.PostAsJsonAsync("/api/cases/UID.BLIND/readings", Reading(2, 0));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var after = await grader.GetFromJsonAsync<JsonElement>("/api/cases/UID.BLIND");
        Assert.False(after.GetProperty("modelHidden").GetBoolean());
        Assert.Equal(3, after.GetProperty("eyes")[0].GetProperty("images")[0].GetProperty("model").GetProperty("grade").GetInt32());
        var reading = after.GetProperty("readings").EnumerateArray().Single();
        Assert.True(reading.GetProperty("blind").GetBoolean());
        // The model called it referable (ICDR 3); the reader's moderate NPDR also refers.
        Assert.True(reading.GetProperty("agreesWithModel").GetBoolean());
    }

    [Fact]
    public async Task REQ_READ_14_Every_case_opened_is_audited_with_the_reader_and_the_patient()
    {
        using var grader = await SignInAsync("a@reading.test");
        using var opened = await grader.GetAsync("/api/cases/UID.OLD-REFERABLE");
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var body = await opened.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("<b>Oakes</b>^Ann", body.GetProperty("patient").GetProperty("name").GetString());
        Assert.Equal("UID.PRIOR", body.GetProperty("priors").EnumerateArray().Single().GetProperty("studyInstanceUid").GetString());

        var audit = await Host.WithDbAsync(db => db.AuditEvents.Where(a => a.Action == "case.opened" && a.EntityId == "UID.OLD-REFERABLE").ToListAsync());
        var entry = Assert.Single(audit);
        Assert.Equal("a@reading.test", entry.Actor);
        Assert.Contains("\"patientId\":\"PAT-OLD\"", entry.Details, StringComparison.Ordinal);
        Assert.Contains("DICOM Instances Accessed", entry.Details, StringComparison.Ordinal);

        using var unknown = await grader.GetAsync("/api/cases/UID.NOPE");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var anonymous = Host.CreateClient();
        using var refused = await anonymous.GetAsync("/api/cases/UID.OLD-REFERABLE");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task REQ_READ_15_Discordant_readings_reach_the_adjudicator_who_sees_both_and_decides()
    {
        using var a = await SignInAsync("a@reading.test");
        using var b = await SignInAsync("b@reading.test");
        using var senior = await SignInAsync("senior@reading.test");
        await ReadAsync(a, "UID.NEW-REFERABLE", Reading(2, 0));
        await ReadAsync(b, "UID.NEW-REFERABLE", Reading(0, 0));

        using var graderTries = await a.GetAsync("/api/worklist?queue=Adjudication");
        Assert.Equal(HttpStatusCode.BadRequest, graderTries.StatusCode);
        Assert.Equal(["UID.NEW-REFERABLE"], await WorklistAsync(senior, "?queue=Adjudication"));

        using var claim = await senior.PostAsync("/api/worklist/next?queue=Adjudication", null);
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        var view = await senior.GetFromJsonAsync<JsonElement>("/api/cases/UID.NEW-REFERABLE");
        Assert.Equal("Adjudication", view.GetProperty("queue").GetString());
        Assert.Equal(["a@reading.test", "b@reading.test"], view.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("readerName").GetString()));

        using var decided = await senior.PostAsJsonAsync("/api/cases/UID.NEW-REFERABLE/readings", Reading(2, 0));
        Assert.Equal(HttpStatusCode.Created, decided.StatusCode);
        var final = await senior.GetFromJsonAsync<JsonElement>("/api/cases/UID.NEW-REFERABLE");
        Assert.Equal("Adjudicated", final.GetProperty("status").GetString());
        Assert.Equal("Adjudicator", final.GetProperty("final").GetProperty("source").GetString());
        Assert.Equal("Refer", final.GetProperty("final").GetProperty("referral").GetString());
    }

    [Fact]
    public async Task REQ_READ_16_A_pathologist_records_a_metastasis_reading_with_its_size()
    {
        using var pathologist = await SignInAsync("path@reading.test");
        using var claim = await pathologist.PostAsync("/api/cases/UID.SLIDE/claim", null);
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);

        using var noSize = await pathologist.PostAsJsonAsync("/api/cases/UID.SLIDE/readings", new { metastasis = true });
        Assert.Equal(HttpStatusCode.BadRequest, noSize.StatusCode);
        using var eyes = await pathologist.PostAsJsonAsync("/api/cases/UID.SLIDE/readings", Reading(0, 0));
        Assert.Equal(HttpStatusCode.BadRequest, eyes.StatusCode);

        using var read = await pathologist.PostAsJsonAsync("/api/cases/UID.SLIDE/readings", new { metastasis = true, sizeCategory = "Micrometastasis", comment = "Subcapsular focus" });
        Assert.Equal(HttpStatusCode.Created, read.StatusCode);
        var screening = await Host.WithDbAsync(db => db.Screenings.SingleAsync(c => c.Study!.StudyInstanceUid == "UID.SLIDE"));
        Assert.Equal((true, FinalSource.Readers, ScreeningStatus.Reviewed), (screening.FinalMetastasis, screening.FinalSource!.Value, screening.Status));
        var reading = await Host.WithDbAsync(db => db.Readings.SingleAsync(r => r.ScreeningCaseId == screening.Id));
        Assert.Equal(MetastasisSize.Micrometastasis, reading.MetastasisSize);
    }

    private static object Reading(int right, int left) => new
    {
        right = new { grade = right, dme = false, ungradable = false },
        left = new { grade = left, dme = false, ungradable = false },
    };

    private static async Task ReadAsync(HttpClient client, string uid, object reading)
    {
        using var claim = await client.PostAsync($"/api/cases/{uid}/claim", null);
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        using var submitted = await client.PostAsJsonAsync($"/api/cases/{uid}/readings", reading);
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
    }

    private static async Task<List<string>> WorklistAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/api/worklist" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. body.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("studyInstanceUid").GetString()!)];
    }

    private Task<HttpClient> SignInAsync(string email) => Host.SignedInClientAsync(email, Password);

    private static async Task SeedAsync(RetinaScreenDbContext db)
    {
        var model = new ModelVersion { Name = "dr-grader", Version = "1.0.0", Sha256 = new string('a', 64), FirstSeenAt = BaseTime };
        db.ModelVersions.Add(model);
        var old = Case(db, model, "UID.OLD-REFERABLE", "PAT-OLD", "Clinic B", "CAM1", BaseTime, grade: 2, priority: 1);
        old.Study!.Patient!.Name = "<b>Oakes</b>^Ann";
        Case(db, model, "UID.NEW-REFERABLE", "PAT-NEW", "Clinic A", "CAM2", BaseTime.AddHours(3), grade: 2, priority: 1, readingsRequired: 2);
        Case(db, model, "UID.SEVERE", "PAT-SEV", "Clinic A", "CAM1", BaseTime.AddHours(2), grade: 3, priority: 2);
        Case(db, model, "UID.PDR", "PAT-PDR", "Clinic A", "CAM1", BaseTime.AddHours(4), grade: 4, priority: 3);
        Case(db, model, "UID.BLIND", "PAT-BLIND", "Clinic A", "CAM1", BaseTime.AddHours(5), grade: 3, priority: 0).Blind = true;
        var slide = Case(db, model, "UID.SLIDE", "PAT-SLIDE", "Pathology lab", "SCANNER", BaseTime.AddHours(1), grade: 0, priority: 2);
        slide.Kind = CaseKind.Slide;
        slide.Queue = ReadingQueue.Pathology;
        slide.MetastasisPositive = true;
        var prior = Case(db, model, "UID.PRIOR", "PAT-OLD", "Clinic B", "CAM1", BaseTime.AddDays(-365), grade: 1, priority: 0, patient: old.Study.Patient);
        prior.Queue = null;
        prior.FinalReferral = Referral.Rescreen;
        prior.FinalSource = FinalSource.Model;
        prior.FinalisedAt = BaseTime.AddDays(-365);
        await db.SaveChangesAsync();
    }

    private static ScreeningCase Case(
        RetinaScreenDbContext db, ModelVersion model, string uid, string patientId, string site, string device, DateTimeOffset at, int grade, int priority, int readingsRequired = 1, Patient? patient = null)
    {
        var study = new Study
        {
            StudyInstanceUid = uid,
            Patient = patient ?? new Patient { PatientId = patientId },
            InstitutionName = site,
            FirstReceivedAt = at,
        };
        var series = new Series { SeriesInstanceUid = uid + ".1", Modality = "OP" };
        study.Series.Add(series);
        var instance = new Instance
        {
            SopInstanceUid = uid + ".1.1", SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.5.1", TransferSyntaxUid = "1.2.840.10008.1.2.4.50",
            Laterality = "R", Rows = 768, Columns = 768, StorageKey = "objects/" + uid, Sha256 = new string('c', 64), ReceivedAt = at,
        };
        series.Instances.Add(instance);
        db.Predictions.Add(new Prediction
        {
            Instance = instance, ModelVersion = model, Gradable = true, Grade = grade, GradeProbabilities = [0.1, 0.1, 0.1, 0.6, 0.1],
            ReferableDrScore = 0.8, ReferableDrThreshold = 0.5, ReferableDr = grade >= 2, ReferableDmeThreshold = 0.5, ImageSha256 = new string('c', 64), CreatedAt = at,
        });
        study.Screening = new ScreeningCase
        {
            Study = study, ReceivedAt = at, Kind = CaseKind.Fundus, Status = ScreeningStatus.AwaitingReview, Queue = ReadingQueue.Primary, Priority = priority,
            Site = site, Device = device, WorstGrade = grade, ReferableDr = grade >= 2, ReferableDme = false, ReadingsRequired = readingsRequired, ImagesToGrade = 1,
        };
        db.Studies.Add(study);
        return study.Screening;
    }
}
