using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Screening;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// A case a model never answered for, sent to review by the screening module, shows why in every view a person uses:
/// the screening list, the worklist, the case view and the study, each with its status and the failure's reason.
/// </summary>
public sealed class ModelFailureDisplayTests : IAsyncLifetime
{
    private const string Password = "Failure-Test-Passw0rd!";
    private const string AdminEmail = "admin@failure.test";
    private const string StudyUid = "1.2.826.0.1.3680043.10.961.400";
    private const string Reason = "grading failed after every retry (InvalidOperationException)";

    private PortalHost? _host;

    private PortalHost Host => _host!;

    public async Task InitializeAsync()
    {
        _host = await PortalHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["RetinaScreen:Bootstrap:AdminEmail"] = AdminEmail,
                ["RetinaScreen:Bootstrap:AdminPassword"] = Password,
                ["RetinaScreen:Reading:BlindFraction"] = "0",
                ["RetinaScreen:Reading:SecondReadFraction"] = "0",
            },
            SeedAsync);
        using var admin = await Host.SignedInClientAsync(AdminEmail, Password);
        await Host.CreateUserAsync(admin, "grader@failure.test", Password, "Grader");
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task REQ_PIPE_23_the_failure_reason_shows_in_the_screening_list_worklist_case_and_study()
    {
        await using (var scope = Host.App.Services.CreateAsyncScope())
        {
            Assert.True(await scope.ServiceProvider.GetRequiredService<ScreeningLifecycle>().RecordModelFailureAsync(StudyUid, StudyUid + ".1.1", Reason, CancellationToken.None));
        }

        using var grader = await Host.SignedInClientAsync("grader@failure.test", Password);
        var worklist = await JsonAsync(grader, "/api/worklist");
        var item = worklist.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("studyInstanceUid").GetString() == StudyUid);
        Assert.Equal("Primary", item.GetProperty("queue").GetString());
        Assert.Equal("AwaitingReview", item.GetProperty("status").GetString());
        Assert.Equal("ungradable", item.GetProperty("modelResult").GetString());
        Assert.Equal(Reason, item.GetProperty("failureReason").GetString());

        var screenings = await JsonAsync(grader, "/api/screenings");
        Assert.Equal(Reason, screenings.GetProperty("items").EnumerateArray().Single().GetProperty("failureReason").GetString());
        var study = await JsonAsync(grader, $"/api/studies/{StudyUid}");
        Assert.Equal("AwaitingReview", study.GetProperty("status").GetString());
        Assert.Equal(Reason, study.GetProperty("failureReason").GetString());
        var opened = await JsonAsync(grader, $"/api/cases/{StudyUid}");
        Assert.Equal(Reason, opened.GetProperty("failureReason").GetString());
        Assert.True(opened.GetProperty("summary").GetProperty("anyUngradable").GetBoolean());
    }

    private static async Task<JsonElement> JsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>One photograph received and waiting for its model, recorded as ingest records it.</summary>
    private static async Task SeedAsync(RetinaScreenDbContext db)
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-3);
        var study = new Study { StudyInstanceUid = StudyUid, Patient = new Patient { PatientId = "PAT-FAIL" }, InstitutionName = "Clinic F", FirstReceivedAt = at };
        ScreeningLifecycle.RecordArrival(study, slide: false, graded: true, "CAMF", at);
        var series = new Series { SeriesInstanceUid = StudyUid + ".1", Modality = "OP", Study = study };
        db.Instances.Add(new Instance
        {
            SopInstanceUid = StudyUid + ".1.1", SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.5.1", TransferSyntaxUid = "1.2.840.10008.1.2.4.50",
            Laterality = "R", Rows = 768, Columns = 768, StorageKey = "objects/failed", Sha256 = new string('d', 64), ReceivedAt = at, Series = series,
        });
        await db.SaveChangesAsync();
    }
}
