using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RetinaScreen.Data.Auditing;

namespace RetinaScreen.Portal.Tests;

/// <summary>Sign-ins that end when the account changes, and the audit of every account change.</summary>
[Collection(SeededPortalCollection.Name)]
public sealed class LoginTests(SeededPortal portal)
{
    private PortalHost Host => portal.Host;

    [Fact]
    public async Task REQ_SEC_10_A_password_change_ends_every_token_of_the_account_and_is_audited()
    {
        var (email, password, id) = await NewGraderAsync("change");
        var before = await LastAuditIdAsync();
        var first = await TokensAsync(email, password);
        var second = await TokensAsync(email, password);
        using var client = Host.CreateClient(first.AccessToken);

        using (var changed = await client.PostAsJsonAsync("/api/me/password", new { currentPassword = password, newPassword = "Changed-Passw0rd-1!" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }

        await AssertTokenEndedAsync(first);
        await AssertTokenEndedAsync(second);
        // The old token cannot change the password again.
        using (var again = await client.PostAsJsonAsync("/api/me/password", new { currentPassword = "Changed-Passw0rd-1!", newPassword = "Changed-Again-Passw0rd-2!" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }

        using var renewed = await Host.SignedInClientAsync(email, "Changed-Passw0rd-1!");
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/screenings")).StatusCode);
        var audit = Assert.Single(await AuditOfAsync(id, before, "user.password.changed"));
        Assert.Equal(email, audit.Actor);
    }

    [Fact]
    public async Task REQ_SEC_12_Password_change_through_manage_info_ends_tokens_clears_the_one_time_mark_and_is_audited()
    {
        const string email = "manage-info@test.retinascreen";
        const string temporary = "Temporary-Manage-Passw0rd-1!";
        string id;
        using (var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword))
        using (var created = await admin.PostAsJsonAsync("/api/admin/users", new { email, password = temporary, roles = new[] { "Grader" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var user = await created.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(user.GetProperty("mustChangePassword").GetBoolean());
            id = user.GetProperty("id").GetString()!;
        }

        var before = await LastAuditIdAsync();
        var tokens = await TokensAsync(email, temporary);
        using var client = Host.CreateClient(tokens.AccessToken);
        // The one-time password opens nothing but the password change.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/screenings")).StatusCode);
        using (var changed = await client.PostAsJsonAsync("/api/auth/manage/info", new { oldPassword = temporary, newPassword = "Own-Manage-Passw0rd-2!" }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        await AssertTokenEndedAsync(tokens);
        using var renewed = await Host.SignedInClientAsync(email, "Own-Manage-Passw0rd-2!");
        var me = await renewed.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.False(me.GetProperty("mustChangePassword").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/screenings")).StatusCode);
        Assert.Single(await AuditOfAsync(id, before, "user.password.changed"));
    }

    [Fact]
    public async Task REQ_SEC_10_Logout_ends_the_access_token_and_its_refresh_token()
    {
        var (email, password, id) = await NewGraderAsync("logout");
        var before = await LastAuditIdAsync();
        var tokens = await TokensAsync(email, password);
        using var client = Host.CreateClient(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);

        using (var logout = await client.PostAsync("/api/auth/logout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        await AssertTokenEndedAsync(tokens);
        Assert.Single(await AuditOfAsync(id, before, "user.logout"));
    }

    [Fact]
    public async Task REQ_SEC_11_A_disabled_account_loses_its_tokens_and_refresh_until_enabled_and_both_changes_are_audited()
    {
        var (email, password, id) = await NewGraderAsync("disable");
        var before = await LastAuditIdAsync();
        var tokens = await TokensAsync(email, password);
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);

        using (var disabled = await admin.PostAsync($"/api/admin/users/{id}/disable", null))
        {
            Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
            Assert.True((await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("disabled").GetBoolean());
        }

        await AssertTokenEndedAsync(tokens);
        using (var login = await Host.LoginAsync(email, password))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        }

        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/admin/users");
        Assert.True(listed.EnumerateArray().Single(user => user.GetProperty("id").GetString() == id).GetProperty("disabled").GetBoolean());

        using (var enabled = await admin.PostAsync($"/api/admin/users/{id}/enable", null))
        {
            Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        }

        // Enabling does not revive the tokens of before; signing in again works.
        await AssertTokenEndedAsync(tokens);
        using var renewed = await Host.SignedInClientAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/screenings")).StatusCode);

        Assert.Equal(SeededPortal.AdminEmail, Assert.Single(await AuditOfAsync(id, before, "user.disabled")).Actor);
        Assert.Equal(SeededPortal.AdminEmail, Assert.Single(await AuditOfAsync(id, before, "user.enabled")).Actor);
        Assert.Single(await AuditOfAsync(id, before, "user.login.refused"));
    }

    [Fact]
    public async Task REQ_SEC_11_Refresh_is_refused_while_the_account_is_locked_out()
    {
        var (email, password, id) = await NewGraderAsync("locked");
        var tokens = await TokensAsync(email, password);

        // Locked out in the database without a new security stamp, as another tool could do it.
        await SetLockoutEndAsync(id, DateTimeOffset.UtcNow.AddMinutes(15));
        using var anonymous = Host.CreateClient();
        using (var refused = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        await SetLockoutEndAsync(id, null);
        using var refreshed = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.RefreshToken });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
    }

    [Fact]
    public async Task REQ_SEC_11_An_administrator_cannot_disable_their_own_account()
    {
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);
        var me = await Host.WithDbAsync(db => db.Users.SingleAsync(user => user.Email == SeededPortal.AdminEmail));

        using var refused = await admin.PostAsync($"/api/admin/users/{me.Id}/disable", null);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/admin/users")).StatusCode);
    }

    [Fact]
    public async Task REQ_SEC_19_Roles_come_from_the_database_so_a_role_change_applies_to_tokens_already_issued()
    {
        var (email, password, id) = await NewGraderAsync("roles");
        var before = await LastAuditIdAsync();
        using var grader = await Host.SignedInClientAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, (await grader.GetAsync("/api/screenings")).StatusCode);
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);

        using (var removed = await admin.PutAsJsonAsync($"/api/admin/users/{id}/roles", new { roles = Array.Empty<string>() }))
        {
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await grader.GetAsync("/api/screenings")).StatusCode);

        using (var restored = await admin.PutAsJsonAsync($"/api/admin/users/{id}/roles", new { roles = new[] { "Grader" } }))
        {
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await grader.GetAsync("/api/screenings")).StatusCode);
        var changes = await AuditOfAsync(id, before, "user.roles.changed");
        Assert.Equal(2, changes.Count);
        Assert.All(changes, change => Assert.Equal(SeededPortal.AdminEmail, change.Actor));
        Assert.Contains("Grader", changes[0].Details ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task REQ_SEC_19_A_role_written_into_a_token_grants_nothing()
    {
        var (email, password, _) = await NewGraderAsync("forged");
        var tokens = await TokensAsync(email, password);
        var format = Host.App.Services.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(IdentityConstants.BearerScheme).BearerTokenProtector;
        var ticket = format.Unprotect(tokens.AccessToken);
        Assert.NotNull(ticket);

        // The same ticket sealed again works: the forging itself is sound.
        using (var resealed = Host.CreateClient(format.Protect(ticket)))
        {
            Assert.Equal(HttpStatusCode.OK, (await resealed.GetAsync("/api/screenings")).StatusCode);
        }

        var identity = (ClaimsIdentity)ticket.Principal.Identity!;
        identity.AddClaim(new Claim(identity.RoleClaimType, "Admin"));
        var forged = new AuthenticationTicket(new ClaimsPrincipal(identity), ticket.Properties, ticket.AuthenticationScheme);
        using var client = Host.CreateClient(format.Protect(forged));

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/admin/users")).StatusCode);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal(["Grader"], me.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
    }

    [Fact]
    public async Task REQ_SEC_12_An_administrator_resets_a_password_to_a_one_time_one_and_the_reset_is_audited()
    {
        var (email, password, id) = await NewGraderAsync("reset");
        var before = await LastAuditIdAsync();
        var tokens = await TokensAsync(email, password);
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);

        using (var reset = await admin.PostAsJsonAsync($"/api/admin/users/{id}/password", new { newPassword = "Reset-By-Admin-Passw0rd-1!" }))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
            Assert.True((await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mustChangePassword").GetBoolean());
        }

        await AssertTokenEndedAsync(tokens);
        using var client = await Host.SignedInClientAsync(email, "Reset-By-Admin-Passw0rd-1!");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/screenings")).StatusCode);
        Assert.Equal(SeededPortal.AdminEmail, Assert.Single(await AuditOfAsync(id, before, "user.password.reset")).Actor);
    }

    [Fact]
    public async Task REQ_SEC_12_Accounts_created_by_an_administrator_either_way_must_change_their_password_and_are_audited()
    {
        var before = await LastAuditIdAsync();
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);
        using (var created = await admin.PostAsJsonAsync("/api/admin/users", new { email = "by-admin-api@test.retinascreen", password = "By-Admin-Api-Passw0rd-1!", roles = new[] { "Grader" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var registered = await admin.PostAsJsonAsync("/api/auth/register", new { email = "by-register@test.retinascreen", password = "By-Register-Passw0rd-1!" }))
        {
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        }

        foreach (var (email, password) in new[] { ("by-admin-api@test.retinascreen", "By-Admin-Api-Passw0rd-1!"), ("by-register@test.retinascreen", "By-Register-Passw0rd-1!") })
        {
            using var client = await Host.SignedInClientAsync(email, password);
            var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
            Assert.True(me.GetProperty("mustChangePassword").GetBoolean(), email);
            var id = await Host.WithDbAsync(db => db.Users.Where(user => user.Email == email).Select(user => user.Id).SingleAsync());
            Assert.Equal(SeededPortal.AdminEmail, Assert.Single(await AuditOfAsync(id, before, "user.created")).Actor);
        }
    }

    [Fact]
    public async Task REQ_SEC_18_Every_api_answer_forbids_storing_it_patient_data_included()
    {
        var endpoints = ((IEndpointRouteBuilder)Host.App).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .ToList();
        Assert.NotEmpty(endpoints);

        using var anonymous = Host.CreateClient();
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);
        var checkedAnswers = 0;
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!;
            var path = string.Join('/', route.Split('/').Select(segment => segment.StartsWith('{') ? "1.2.3" : segment));
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                // Anonymous for every method (refused, or a credential exchange refusing empty credentials);
                // signed in for reads, which change nothing.
                foreach (var client in method == "GET" ? new[] { anonymous, admin } : [anonymous])
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method != "GET")
                    {
                        request.Content = JsonContent.Create(new { });
                    }

                    using var response = await client.SendAsync(request);
                    AssertNotStored(response, $"{method} {route} -> {(int)response.StatusCode}");
                    checkedAnswers++;
                }
            }
        }

        Assert.True(checkedAnswers > endpoints.Count);

        // A study with its patient's name and identifier, answered 200, and a photograph-free case list.
        using var grader = await Host.SignedInClientAsync(SeededPortal.GraderEmail, SeededPortal.GraderPassword);
        using var study = await grader.GetAsync($"/api/studies/{SeededPortal.ModerateStudyUid}");
        Assert.Equal(HttpStatusCode.OK, study.StatusCode);
        Assert.Contains("PAT-0001", await study.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        AssertNotStored(study, "GET /api/studies/{uid} -> 200");
        using var screenings = await grader.GetAsync("/api/screenings");
        Assert.Equal(HttpStatusCode.OK, screenings.StatusCode);
        AssertNotStored(screenings, "GET /api/screenings -> 200");

        // The pages themselves may be cached (revalidated): the rule is the API's.
        using var page = await anonymous.GetAsync("/portal/app.js");
        Assert.DoesNotContain("no-store", page.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
    }

    private static void AssertNotStored(HttpResponseMessage response, string what)
    {
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what}: Cache-Control is '{response.Headers.CacheControl}'");
        Assert.True(response.Headers.Pragma.Any(pragma => pragma.Name == "no-cache"), $"{what}: no Pragma: no-cache");
    }

    private async Task<(string Email, string Password, string Id)> NewGraderAsync(string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@test.retinascreen";
        const string password = "Own-Grader-Passw0rd-9!";
        using var admin = await Host.SignedInClientAsync(SeededPortal.AdminEmail, SeededPortal.AdminPassword);
        var user = await Host.CreateUserAsync(admin, email, password, "Grader");
        return (email, password, user.GetProperty("id").GetString()!);
    }

    private async Task<PortalHost.AccessTokens> TokensAsync(string email, string password)
    {
        using var response = await Host.LoginAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PortalHost.AccessTokens>())!;
    }

    /// <summary>The access token is refused, and its refresh token issues nothing.</summary>
    private async Task AssertTokenEndedAsync(PortalHost.AccessTokens tokens)
    {
        using var client = Host.CreateClient(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);
        using var anonymous = Host.CreateClient();
        using var refresh = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    private Task<int> SetLockoutEndAsync(string userId, DateTimeOffset? end) =>
        Host.WithDbAsync(async db =>
        {
            var user = await db.Users.SingleAsync(candidate => candidate.Id == userId);
            user.LockoutEnd = end;
            return await db.SaveChangesAsync();
        });

    private Task<long> LastAuditIdAsync() => Host.WithDbAsync(async db => await db.AuditEvents.MaxAsync(audit => (long?)audit.Id) ?? 0);

    private Task<List<AuditEvent>> AuditOfAsync(string userId, long after, string action) =>
        Host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(audit => audit.Id > after && audit.Action == action && audit.EntityType == "user" && audit.EntityId == userId)
            .OrderBy(audit => audit.Id)
            .ToListAsync());
}
