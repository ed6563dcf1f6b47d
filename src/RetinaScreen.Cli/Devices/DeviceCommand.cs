using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace RetinaScreen.Cli.Devices;

/// <summary>
/// <c>retinascreen device register</c>: registers a camera or gateway through the portal's device administration
/// (<c>POST /api/admin/devices</c>) with an administrator's login, so that the registration is validated, audited under
/// that administrator's name and applied at once by the running host, exactly as one made in the portal. The password
/// never appears on the command line (where other users of the machine could read it): it comes from
/// <c>RETINASCREEN_ADMIN_PASSWORD</c>, from standard input with <c>--password-stdin</c>, or from a prompt.
/// </summary>
public static class DeviceCommand
{
    public const string PasswordVariable = "RETINASCREEN_ADMIN_PASSWORD";

    public static Task<int> RunAsync(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var portal = new Option<string>("--portal")
        {
            Description = "the portal's address (https, or http on this machine only)",
            DefaultValueFactory = _ => "http://localhost:8080/",
        };
        var email = new Option<string>("--admin-email") { Description = "an administrator's login", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = $"read the password from standard input (otherwise {PasswordVariable}, or a prompt)" };
        var name = new Option<string>("--name") { Description = "the device's unique name", Required = true };
        var aeTitle = new Option<string?>("--ae-title") { Description = "the calling AE title it sends DICOM with" };
        var address = new Option<string?>("--address") { Description = "the address or CIDR block it connects from (default: any)" };
        var site = new Option<string?>("--site") { Description = "the clinic or site it belongs to" };
        var thumbprint = new Option<string?>("--certificate-thumbprint") { Description = "SHA-256 of its DICOM TLS client certificate" };

        var register = new Command("register", "register a camera or gateway and print its API token (shown only once)")
        {
            portal, email, passwordStdin, name, aeTitle, address, site, thumbprint,
        };
        register.SetAction(async (parse, cancellationToken) =>
        {
            if (!Uri.TryCreate(parse.GetValue(portal), UriKind.Absolute, out var portalUri))
            {
                await stderr.WriteLineAsync("device register: --portal must be an absolute http(s) address.");
                return 2;
            }

            if (!IsSafeTransport(portalUri))
            {
                await stderr.WriteLineAsync($"device register: {portalUri} is plain http to another machine; an administrator's password is only sent over https (or to this machine).");
                return 2;
            }

            var password = parse.GetValue(passwordStdin)
                ? await stdin.ReadLineAsync(cancellationToken)
                : Environment.GetEnvironmentVariable(PasswordVariable) ?? Prompt(stderr);
            if (string.IsNullOrEmpty(password))
            {
                await stderr.WriteLineAsync($"device register: no password (set {PasswordVariable}, pass --password-stdin, or answer the prompt).");
                return 2;
            }

            var request = new
            {
                name = parse.GetValue(name),
                site = parse.GetValue(site),
                aeTitle = parse.GetValue(aeTitle),
                allowedAddress = parse.GetValue(address),
                certificateThumbprint = parse.GetValue(thumbprint),
            };
            return await RegisterAsync(portalUri, parse.GetValue(email)!, password, request, stdout, stderr, cancellationToken);
        });

        var device = new Command("device", "manage the devices that may send images") { register };
        var root = new RootCommand("retinascreen device") { device };
        return root.Parse(["device", .. args]).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>Loopback may be plain http (the embedded host's default); anything else must be https.</summary>
    private static bool IsSafeTransport(Uri portal) =>
        portal.Scheme == Uri.UriSchemeHttps
        || (portal.Scheme == Uri.UriSchemeHttp && (portal.IsLoopback || (IPAddress.TryParse(portal.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    private static async Task<int> RegisterAsync(Uri portal, string email, string password, object device, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = portal, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using (var login = await http.PostAsJsonAsync("api/auth/login", new { email, password }, cancellationToken))
            {
                if (!login.IsSuccessStatusCode)
                {
                    await stderr.WriteLineAsync($"device register: the portal refused the login ({(int)login.StatusCode}).");
                    return 1;
                }

                var token = (await login.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("accessToken").GetString();
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.PostAsJsonAsync("api/admin/devices", device, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                await stderr.WriteLineAsync($"device register: refused ({(int)response.StatusCode}): {Describe(body)}");
                return 1;
            }

            var created = JsonDocument.Parse(body).RootElement;
            await stdout.WriteLineAsync($"device {created.GetProperty("id").GetInt64()} \"{created.GetProperty("name").GetString()}\" registered"
                + (created.GetProperty("aeTitle").GetString() is { } ae ? $" with AE title {ae}" : "")
                + (created.GetProperty("allowedAddress").GetString() is { } from ? $" from {from}" : " from any address"));
            await stdout.WriteLineAsync($"API token (shown only now; for STOW-RS and the camera queue): {created.GetProperty("apiToken").GetString()}");
            return 0;
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"device register: the portal at {portal} did not answer: {ex.Message}");
            return 1;
        }
    }

    /// <summary>A problem response's detail or validation errors; the body itself when it is neither.</summary>
    private static string Describe(string body)
    {
        try
        {
            var problem = JsonDocument.Parse(body).RootElement;
            if (problem.TryGetProperty("errors", out var errors))
            {
                return string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(" ", e.Value.EnumerateArray().Select(m => m.GetString()))}"));
            }

            if (problem.TryGetProperty("detail", out var detail) || problem.TryGetProperty("Detail", out detail))
            {
                return detail.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
        }

        return body;
    }

    /// <summary>Reads a password from the terminal without echoing it; from a redirected input, one line.</summary>
    private static string? Prompt(TextWriter stderr)
    {
        stderr.Write("administrator password: ");
        if (Console.IsInputRedirected)
        {
            return Console.ReadLine();
        }

        var password = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                stderr.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
    }
}
