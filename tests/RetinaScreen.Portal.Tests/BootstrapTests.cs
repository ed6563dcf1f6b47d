using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace RetinaScreen.Portal.Tests;

public sealed class BootstrapTests
{
    private const int GeneratedPasswordEvent = 3001;
    private const int ConfiguredAdminEvent = 3002;

    [Fact]
    public async Task REQ_SEC_02_First_admin_comes_from_configuration()
    {
        await using var host = await PortalHost.StartAsync(new Dictionary<string, string?>
        {
            ["RetinaScreen:Bootstrap:AdminEmail"] = "chief@clinic.example",
            ["RetinaScreen:Bootstrap:AdminPassword"] = "Chief-Of-Passw0rds!",
        });

        using var client = await host.SignedInClientAsync("chief@clinic.example", "Chief-Of-Passw0rds!");
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal(["Admin"], me.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
        Assert.False(me.GetProperty("mustChangePassword").GetBoolean());

        Assert.Contains(host.Logs.Entries, entry => entry.EventId.Id == ConfiguredAdminEvent);
        Assert.DoesNotContain(host.Logs.Entries, entry => entry.EventId.Id == GeneratedPasswordEvent);
        Assert.DoesNotContain(host.Logs.Entries, entry => entry.Message.Contains("Chief-Of-Passw0rds!", StringComparison.Ordinal));
    }

    [Fact]
    public async Task REQ_SEC_02_Without_configuration_a_generated_password_is_logged_once_and_must_be_changed()
    {
        var dataPath = Directory.CreateTempSubdirectory("retinascreen-portal-bootstrap-").FullName;
        try
        {
            string oneTimePassword;
            await using (var host = await PortalHost.StartAsync(dataPath: dataPath))
            {
                var logged = Assert.Single(host.Logs.Entries, entry => entry.EventId.Id == GeneratedPasswordEvent);
                Assert.Equal(LogLevel.Warning, logged.Level);
                Assert.Contains("must be changed", logged.Message, StringComparison.Ordinal);
                oneTimePassword = (string)logged.State.Single(pair => pair.Key == "OneTimePassword").Value!;
                Assert.True(oneTimePassword.Length >= 16);
                Assert.Contains(oneTimePassword, logged.Message, StringComparison.Ordinal);

                // The logged password signs in, but the account can do nothing until it has its own password.
                using var firstClient = await host.SignedInClientAsync("admin@retinascreen.local", oneTimePassword);
                var me = await firstClient.GetFromJsonAsync<JsonElement>("/api/me");
                Assert.True(me.GetProperty("mustChangePassword").GetBoolean());
                Assert.Equal(["Admin"], me.GetProperty("roles").EnumerateArray().Select(role => role.GetString()));
                using (var refused = await firstClient.GetAsync("/api/screenings"))
                {
                    Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
                }

                using (var refusedAdmin = await firstClient.PostAsJsonAsync("/api/admin/users",
                    new { email = "x@test.retinascreen", password = "Xx-Passw0rd-1234", roles = new[] { "Admin" } }))
                {
                    Assert.Equal(HttpStatusCode.Forbidden, refusedAdmin.StatusCode);
                }

                using (var changed = await firstClient.PostAsJsonAsync("/api/me/password",
                    new { currentPassword = oneTimePassword, newPassword = "My-Own-Passw0rd!" }))
                {
                    Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
                }

                // The one-time password is spent; the new one gives full administrator rights.
                using (var reused = await host.LoginAsync("admin@retinascreen.local", oneTimePassword))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
                }

                using var admin = await host.SignedInClientAsync("admin@retinascreen.local", "My-Own-Passw0rd!");
                Assert.False((await admin.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("mustChangePassword").GetBoolean());
                using var allowed = await admin.GetAsync("/api/screenings");
                Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            }

            // A restart on the same database neither creates nor prints anything again.
            await using (var restarted = await PortalHost.StartAsync(dataPath: dataPath))
            {
                Assert.DoesNotContain(restarted.Logs.Entries, entry => entry.EventId.Id == GeneratedPasswordEvent);
                using var admin = await restarted.SignedInClientAsync("admin@retinascreen.local", "My-Own-Passw0rd!");
            }
        }
        finally
        {
            Directory.Delete(dataPath, recursive: true);
        }
    }

    [Fact]
    public async Task REQ_SEC_02_A_configured_password_that_breaks_the_rules_stops_the_start()
    {
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => PortalHost.StartAsync(new Dictionary<string, string?>
        {
            ["RetinaScreen:Bootstrap:AdminEmail"] = "lazy@clinic.example",
            ["RetinaScreen:Bootstrap:AdminPassword"] = "admin",
        }));
        Assert.Contains("first administrator", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_SEC_02_Generated_passwords_satisfy_the_rules_and_differ()
    {
        var passwords = Enumerable.Range(0, 50).Select(_ => Accounts.BootstrapAdministrator.GeneratePassword()).ToList();
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
        Assert.All(passwords, password =>
        {
            Assert.Equal(20, password.Length);
            Assert.Contains(password, char.IsLower);
            Assert.Contains(password, char.IsUpper);
            Assert.Contains(password, char.IsDigit);
            Assert.Contains(password, c => !char.IsLetterOrDigit(c));
        });
    }
}
