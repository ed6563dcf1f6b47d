using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RetinaScreen.Portal.Benchmarks;

/// <summary>Makes a reader account through the admin API and signs the client in as it: the requests a reader makes.</summary>
internal static class GraderSession
{
    private static readonly string[] ReaderRoles = ["Grader", "Adjudicator"];

    public static async Task SignInAsync(HttpClient http, string adminEmail, string adminPassword)
    {
        await LoginAsync(http, adminEmail, adminPassword);
        var password = "Grader-" + Guid.NewGuid().ToString("N")[..12] + "-Aa1!";
        using var created = await http.PostAsJsonAsync("/api/admin/users", new { email = "grader@bench.test", password, roles = ReaderRoles });
        created.EnsureSuccessStatusCode();
        await LoginAsync(http, "grader@bench.test", password);
    }

    private static async Task LoginAsync(HttpClient http, string email, string password)
    {
        http.DefaultRequestHeaders.Authorization = null;
        using var response = await http.PostAsJsonAsync("/api/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }
}
