using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RetinaScreen.Portal.Tests;

[Collection(SeededPortalCollection.Name)]
public sealed class StudyApiTests(SeededPortal portal)
{
    [Fact]
    public async Task REQ_API_01_Study_shows_screening_and_latest_prediction_per_eye()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        using var response = await client.GetAsync($"/api/studies/{SeededPortal.ModerateStudyUid}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var study = (await response.Content.ReadFromJsonAsync<JsonElement>());
        Assert.Equal(SeededPortal.ModerateStudyUid, study.GetProperty("studyInstanceUid").GetString());
        Assert.Equal("PAT-0001", study.GetProperty("patientId").GetString());
        Assert.Equal("DOE^JANE", study.GetProperty("patientName").GetString());
        Assert.Equal("20260110", study.GetProperty("studyDate").GetString());
        Assert.Equal("Graded", study.GetProperty("status").GetString());
        Assert.Equal(SeededPortal.BaseTime, study.GetProperty("receivedAt").GetDateTimeOffset());
        Assert.Equal(SeededPortal.BaseTime.AddMinutes(2), study.GetProperty("gradedAt").GetDateTimeOffset());
        Assert.Equal(2, study.GetProperty("worstGrade").GetInt32());
        Assert.Equal("Moderate NPDR", study.GetProperty("worstGradeName").GetString());
        Assert.True(study.GetProperty("referableDr").GetBoolean());
        Assert.False(study.GetProperty("referableDme").GetBoolean());

        var eyes = study.GetProperty("eyes").EnumerateArray().ToList();
        Assert.Equal(["R", "L"], eyes.Select(eye => eye.GetProperty("laterality").GetString()));

        var right = Assert.Single(eyes[0].GetProperty("images").EnumerateArray());
        Assert.Equal(SeededPortal.ModerateStudyUid + ".1", right.GetProperty("sopInstanceUid").GetString());
        var prediction = right.GetProperty("prediction");
        // Graded twice: the newer model's decision is the one shown.
        Assert.Equal(2, prediction.GetProperty("grade").GetInt32());
        Assert.Equal("Moderate NPDR", prediction.GetProperty("gradeName").GetString());
        Assert.True(prediction.GetProperty("gradable").GetBoolean());
        Assert.Equal([0.05, 0.15, 0.7, 0.07, 0.03], prediction.GetProperty("gradeProbabilities").EnumerateArray().Select(p => p.GetDouble()));
        Assert.Equal(0.8, prediction.GetProperty("referableDrScore").GetDouble(), 10);
        Assert.Equal(0.5, prediction.GetProperty("referableDrThreshold").GetDouble());
        Assert.True(prediction.GetProperty("referableDr").GetBoolean());
        Assert.False(prediction.GetProperty("referableDme").GetBoolean());
        Assert.Equal("dr-grader", prediction.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal("1.1.0", prediction.GetProperty("model").GetProperty("version").GetString());
        Assert.Equal(new string('b', 64), prediction.GetProperty("model").GetProperty("sha256").GetString());
        Assert.Equal(40.25, prediction.GetProperty("inferenceMilliseconds").GetDouble());

        var left = Assert.Single(eyes[1].GetProperty("images").EnumerateArray());
        Assert.Equal(0, left.GetProperty("prediction").GetProperty("grade").GetInt32());
        Assert.Equal("No DR", left.GetProperty("prediction").GetProperty("gradeName").GetString());
    }

    [Fact]
    public async Task REQ_API_01_Ungraded_study_has_unknown_eye_without_prediction()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        var study = await client.GetFromJsonAsync<JsonElement>($"/api/studies/{SeededPortal.PendingStudyUid}");

        Assert.Equal("Received", study.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, study.GetProperty("worstGrade").ValueKind);
        var eye = Assert.Single(study.GetProperty("eyes").EnumerateArray());
        Assert.Equal("unknown", eye.GetProperty("laterality").GetString());
        Assert.Equal(JsonValueKind.Null, Assert.Single(eye.GetProperty("images").EnumerateArray()).GetProperty("prediction").ValueKind);
    }

    [Fact]
    public async Task REQ_API_01_Unknown_study_is_404_problem_details()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        using var response = await client.GetAsync("/api/studies/1.2.3.4.5.999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("Study not found", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task REQ_SEC_01_Study_without_token_is_401()
    {
        using var client = portal.Host.CreateClient();

        using var response = await client.GetAsync($"/api/studies/{SeededPortal.ModerateStudyUid}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task REQ_UI_01_Screenings_are_listed_newest_first_with_grades()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        var list = await client.GetFromJsonAsync<JsonElement>("/api/screenings");

        Assert.Equal(3, list.GetProperty("total").GetInt32());
        var items = list.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(
            [SeededPortal.NoDrStudyUid, SeededPortal.ModerateStudyUid, SeededPortal.PendingStudyUid],
            items.Select(item => item.GetProperty("studyInstanceUid").GetString()));
        Assert.Equal(["PAT-0002", "PAT-0001", "PAT-0003"], items.Select(item => item.GetProperty("patientId").GetString()));
        Assert.Equal(["Graded", "Graded", "Received"], items.Select(item => item.GetProperty("status").GetString()));
        Assert.Equal(["No DR", "Moderate NPDR", null], items.Select(item => item.GetProperty("worstGradeName").GetString()));
        Assert.True(items[1].GetProperty("referableDr").GetBoolean());
        Assert.Equal(SeededPortal.BaseTime.AddHours(1), items[0].GetProperty("receivedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task REQ_UI_01_Screenings_filter_by_status_and_page_is_bounded()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        var graded = await client.GetFromJsonAsync<JsonElement>("/api/screenings?status=graded&page=2&pageSize=1");
        Assert.Equal(2, graded.GetProperty("total").GetInt32());
        Assert.Equal(SeededPortal.ModerateStudyUid, Assert.Single(graded.GetProperty("items").EnumerateArray()).GetProperty("studyInstanceUid").GetString());

        var huge = await client.GetFromJsonAsync<JsonElement>("/api/screenings?pageSize=100000");
        Assert.Equal(200, huge.GetProperty("pageSize").GetInt32());

        using var invalid = await client.GetAsync("/api/screenings?status=Nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_api()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        var document = await client.GetStringAsync("/openapi/v1.json");

        Assert.Contains("/api/studies/{studyInstanceUid}", document, StringComparison.Ordinal);
        Assert.Contains("/api/screenings", document, StringComparison.Ordinal);
        Assert.Contains("/api/auth/login", document, StringComparison.Ordinal);
    }
}
