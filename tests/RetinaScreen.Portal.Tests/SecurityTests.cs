using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace RetinaScreen.Portal.Tests;

[Collection(SeededPortalCollection.Name)]
public sealed class SecurityTests(SeededPortal portal)
{
    [Fact]
    public async Task REQ_SEC_01_Login_returns_a_bearer_token()
    {
        using var response = await portal.Host.LoginAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = await response.Content.ReadFromJsonAsync<PortalHost.AccessTokens>();
        Assert.Equal("Bearer", tokens?.TokenType);
        Assert.False(string.IsNullOrEmpty(tokens?.AccessToken));
        Assert.False(string.IsNullOrEmpty(tokens?.RefreshToken));
    }

    [Fact]
    public async Task REQ_SEC_01_Every_api_endpoint_but_login_needs_a_signed_in_user()
    {
        var endpoints = ((IEndpointRouteBuilder)portal.Host.App).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .ToList();
        Assert.NotEmpty(endpoints);

        using var client = portal.Host.CreateClient();
        var open = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!;
            var path = string.Join('/', route.Split('/').Select(segment => segment.StartsWith('{') ? "1.2.3" : segment));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method != "GET")
                {
                    request.Content = JsonContent.Create(new { });
                }

                using var response = await client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.Unauthorized)
                {
                    open.Add($"{method} {route} -> {(int)response.StatusCode}");
                }
            }
        }

        // Only the credential exchanges are open; they refuse the empty credentials sent here.
        Assert.All(open, entry => Assert.Matches(@"^POST /api/auth/(login|refresh) -> (400|401)$", entry));
        Assert.Contains(endpoints, endpoint => endpoint.RoutePattern.RawText == "/api/admin/users");
    }

    [Fact]
    public async Task REQ_SEC_01_Anonymous_registration_is_blocked()
    {
        const string email = "intruder@test.retinascreen";
        using var anonymous = portal.Host.CreateClient();
        using var response = await anonymous.PostAsJsonAsync("/api/auth/register", new { email, password = "Intruder-Passw0rd!" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        using var grader = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);
        using var asGrader = await grader.PostAsJsonAsync("/api/auth/register", new { email, password = "Intruder-Passw0rd!" });
        Assert.Equal(HttpStatusCode.Forbidden, asGrader.StatusCode);

        Assert.False(await portal.Host.WithDbAsync(db => db.Users.AnyAsync(user => user.Email == email)));
    }

    [Fact]
    public async Task REQ_SEC_01_Admin_creates_users_and_a_non_admin_cannot()
    {
        using var admin = await portal.Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);
        var user = await portal.Host.CreateUserAsync(admin, "adjudicator@test.retinascreen", "Adjudicat0r-Passw0rd!", "adjudicator");
        Assert.Equal(["Adjudicator"], user.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));

        using var adjudicator = await portal.Host.SignedInClientAsync("adjudicator@test.retinascreen", "Adjudicat0r-Passw0rd!");
        using var list = await adjudicator.GetAsync("/api/screenings");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);

        using var grader = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);
        using var refused = await grader.PostAsJsonAsync("/api/admin/users",
            new { email = "sneaky@test.retinascreen", password = "Sneaky-Passw0rd!1", roles = new[] { "Admin" } });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var refusedList = await grader.GetAsync("/api/admin/users");
        Assert.Equal(HttpStatusCode.Forbidden, refusedList.StatusCode);
    }

    [Fact]
    public async Task REQ_SEC_01_Weak_passwords_and_unknown_roles_are_refused()
    {
        using var admin = await portal.Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);

        using var weak = await admin.PostAsJsonAsync("/api/admin/users", new { email = "weak@test.retinascreen", password = "password", roles = new[] { "Grader" } });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Equal("application/problem+json", weak.Content.Headers.ContentType?.MediaType);

        using var role = await admin.PostAsJsonAsync("/api/admin/users", new { email = "king@test.retinascreen", password = "King-Of-Passw0rds!", roles = new[] { "Superuser" } });
        Assert.Equal(HttpStatusCode.BadRequest, role.StatusCode);
    }

    [Fact]
    public async Task REQ_SEC_01_A_user_without_a_role_reads_nothing()
    {
        using var admin = await portal.Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);
        await portal.Host.CreateUserAsync(admin, "norole@test.retinascreen", "No-Role-Passw0rd!");

        using var client = await portal.Host.SignedInClientAsync("norole@test.retinascreen", "No-Role-Passw0rd!");
        using var screenings = await client.GetAsync("/api/screenings");
        Assert.Equal(HttpStatusCode.Forbidden, screenings.StatusCode);
        using var study = await client.GetAsync($"/api/studies/{SeededPortal.ModerateStudyUid}");
        Assert.Equal(HttpStatusCode.Forbidden, study.StatusCode);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal("norole@test.retinascreen", me.GetProperty("email").GetString());
        Assert.Empty(me.GetProperty("roles").EnumerateArray());
    }

    [Fact]
    public async Task REQ_SEC_01_Me_reports_email_and_roles()
    {
        using var client = await portal.Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");

        Assert.Equal(SeededPortal.GraderEmail, me.GetProperty("email").GetString());
        Assert.Equal(["Grader"], me.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
        Assert.False(me.GetProperty("mustChangePassword").GetBoolean());
    }

    [Fact]
    public async Task REQ_SEC_01_Portal_shell_is_public_and_allows_only_self()
    {
        using var client = portal.Host.CreateClient();

        foreach (var path in new[] { "/", "/portal", "/portal/", "/portal/app.js", "/portal/portal.css", "/portal/favicon.svg", "/portal/lib/openseadragon/openseadragon.min.js" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("http", policy, StringComparison.Ordinal);
        }

        using var script = await client.GetAsync("/portal/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        using var missing = await client.GetAsync("/portal/nothing-here.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
