using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RetinaScreen.Data;

namespace RetinaScreen.Portal.Tests;

/// <summary>The keys that seal tokens, the files that hold them and the database, and how soon another process's change applies.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SignInKeyTests
{
    private const string AdminEmail = "keys@clinic.test";
    private const string AdminPassword = "Keys-Admin-Passw0rd-1!";

    private static readonly Dictionary<string, string?> Admin = new()
    {
        ["RetinaScreen:Bootstrap:AdminEmail"] = AdminEmail,
        ["RetinaScreen:Bootstrap:AdminPassword"] = AdminPassword,
    };

    [Fact]
    public async Task REQ_SEC_16_Keys_in_the_database_are_encrypted_and_useless_without_the_certificate()
    {
        await using var host = await PortalHost.StartAsync(Admin);
        using var response = await host.LoginAsync(AdminEmail, AdminPassword);
        var token = (await response.Content.ReadFromJsonAsync<PortalHost.AccessTokens>())!.AccessToken;

        var keys = await host.WithDbAsync(db => db.DataProtectionKeys.AsNoTracking().Select(key => key.Xml).ToListAsync());
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });

        var certificatePath = Path.Combine(host.DataPath, "keys", "sign-in-keys.pfx");
        Assert.True(File.Exists(certificatePath));
        Assert.Contains(host.Logs.Entries, entry => entry.EventId.Id == 3030 && entry.Message.Contains(certificatePath, StringComparison.Ordinal));

        // Someone with the database only reads no token; the same reader with the certificate does (the control).
        Assert.Null(ReadToken(host.DataPath, token, certificate: null));
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, null, X509KeyStorageFlags.EphemeralKeySet);
        Assert.Equal(AdminEmail, ReadToken(host.DataPath, token, certificate)?.Principal.Identity?.Name);
    }

    [Fact]
    public async Task REQ_SEC_16_Keys_stored_in_clear_are_removed_at_start_and_a_configured_certificate_is_used()
    {
        var dataPath = Directory.CreateTempSubdirectory("retinascreen-portal-keys-").FullName;
        var certificatePath = Path.Combine(dataPath, "configured.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=test key protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            await File.WriteAllBytesAsync(certificatePath, created.Export(X509ContentType.Pkcs12, "pfx-secret"));
        }

        var settings = new Dictionary<string, string?>(Admin)
        {
            ["RetinaScreen:Portal:KeyProtection:CertificatePath"] = certificatePath,
            ["RetinaScreen:Portal:KeyProtection:CertificatePassword"] = "pfx-secret",
        };
        try
        {
            await using (var first = await PortalHost.StartAsync(settings, dataPath: dataPath))
            {
                Assert.False(File.Exists(Path.Combine(dataPath, "keys", "sign-in-keys.pfx")));
            }

            // A key as an unprotected installation wrote it: in clear, in the same table.
            using (var plain = PlainKeyRing(dataPath))
            {
                plain.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("x"u8.ToArray());
            }

            var clear = await CountClearKeysAsync(dataPath);
            Assert.Equal(1, clear);

            await using (var second = await PortalHost.StartAsync(settings, dataPath: dataPath))
            {
                Assert.Equal(0, await second.WithDbAsync(db => db.DataProtectionKeys.CountAsync(key => key.Xml != null && !key.Xml.Contains("encryptedSecret"))));
                Assert.Contains(second.Logs.Entries, entry => entry.EventId.Id == 3031);
                using var client = await second.SignedInClientAsync(AdminEmail, AdminPassword);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataPath, recursive: true);
        }
    }

    [Fact]
    public async Task REQ_SEC_16_A_configured_certificate_that_is_missing_stops_the_start()
    {
        var settings = new Dictionary<string, string?>(Admin) { ["RetinaScreen:Portal:KeyProtection:CertificatePath"] = "/nonexistent/sign-in.pfx" };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => PortalHost.StartAsync(settings));

        Assert.Contains("/nonexistent/sign-in.pfx", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task REQ_SEC_17_The_data_folder_database_and_key_files_are_private_to_the_service_account()
    {
        await using var host = await PortalHost.StartAsync(Admin);
        using (var client = await host.SignedInClientAsync(AdminEmail, AdminPassword))
        {
            // A write, so that the write-ahead log and its index exist.
            await host.CreateUserAsync(client, "modes@clinic.test", "Modes-Grader-Passw0rd-1!", "Grader");
        }

        const UnixFileMode ownerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode ownerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var database = Path.Combine(host.DataPath, RetinaScreenDataExtensions.SqliteFileName);
        Assert.Equal(ownerOnlyFolder, File.GetUnixFileMode(host.DataPath));
        Assert.Equal(ownerOnlyFolder, File.GetUnixFileMode(Path.Combine(host.DataPath, "objects")));
        Assert.Equal(ownerOnlyFolder, File.GetUnixFileMode(Path.Combine(host.DataPath, "keys")));
        Assert.Equal(ownerOnlyFile, File.GetUnixFileMode(database));
        Assert.True(File.Exists(database + "-wal"));
        Assert.Equal(ownerOnlyFile, File.GetUnixFileMode(database + "-wal"));
        Assert.Equal(ownerOnlyFile, File.GetUnixFileMode(database + "-shm"));
        Assert.Equal(ownerOnlyFile, File.GetUnixFileMode(Path.Combine(host.DataPath, "keys", "sign-in-keys.pfx")));
    }

    [Fact]
    public async Task REQ_SEC_17_An_existing_database_readable_by_others_is_narrowed_at_start()
    {
        var dataPath = Directory.CreateTempSubdirectory("retinascreen-portal-modes-").FullName;
        try
        {
            File.SetUnixFileMode(dataPath, (UnixFileMode)0b111_101_101);
            var database = Path.Combine(dataPath, RetinaScreenDataExtensions.SqliteFileName);
            await File.WriteAllBytesAsync(database, []);
            File.SetUnixFileMode(database, (UnixFileMode)0b110_100_100);

            await using (var host = await PortalHost.StartAsync(Admin, dataPath: dataPath))
            {
                Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(dataPath));
                Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(database));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataPath, recursive: true);
        }
    }

    [Fact]
    public async Task REQ_SEC_10_A_change_made_by_another_process_ends_the_token_within_the_check_interval()
    {
        var settings = new Dictionary<string, string?>(Admin) { ["RetinaScreen:Portal:Login:AccountCheckInterval"] = "00:00:02" };
        await using var host = await PortalHost.StartAsync(settings);
        using var client = await host.SignedInClientAsync(AdminEmail, AdminPassword);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/admin/users")).StatusCode);

        // Straight in the database, past this process's user manager: as a logout served by another portal process.
        await host.WithDbAsync(async db =>
        {
            var admin = await db.Users.SingleAsync(user => user.Email == AdminEmail);
            admin.SecurityStamp = Guid.NewGuid().ToString("N");
            return await db.SaveChangesAsync();
        });
        var changedAt = DateTime.UtcNow;

        var status = HttpStatusCode.OK;
        while (status == HttpStatusCode.OK && DateTime.UtcNow - changedAt < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(200);
            status = (await client.GetAsync("/api/admin/users")).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.InRange(DateTime.UtcNow - changedAt, TimeSpan.Zero, TimeSpan.FromSeconds(2 + 3));
    }

    /// <summary>Reads a bearer token with the keys in the database, as someone holding a copy of it would.</summary>
    private static AuthenticationTicket? ReadToken(string dataPath, string token, X509Certificate2? certificate)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<RetinaScreenDbContext>(options => options.UseRetinaScreenSqlite(RetinaScreenDataExtensions.SqliteConnectionString(dataPath)));
        var dataProtection = services.AddDataProtection().SetApplicationName("RetinaScreen").PersistKeysToDbContext<RetinaScreenDbContext>();
        if (certificate is not null)
        {
            dataProtection.UnprotectKeysWithAnyCertificate(certificate);
        }

        // The bearer handler's own protector, built the way the portal builds it.
        services.AddAuthentication().AddBearerToken(IdentityConstants.BearerScheme);
        using var provider = services.BuildServiceProvider();
        var format = provider.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(IdentityConstants.BearerScheme).BearerTokenProtector;
        try
        {
            return format.Unprotect(token);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static ServiceProvider PlainKeyRing(string dataPath)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDbContext<RetinaScreenDbContext>(options => options.UseRetinaScreenSqlite(RetinaScreenDataExtensions.SqliteConnectionString(dataPath)));
        services.AddDataProtection().SetApplicationName("RetinaScreen").PersistKeysToDbContext<RetinaScreenDbContext>();
        return services.BuildServiceProvider();
    }

    private static async Task<int> CountClearKeysAsync(string dataPath)
    {
        await using var db = new RetinaScreenDbContext(new DbContextOptionsBuilder<RetinaScreenDbContext>()
            .UseRetinaScreenSqlite(RetinaScreenDataExtensions.SqliteConnectionString(dataPath)).Options);
        return await db.DataProtectionKeys.CountAsync(key => key.Xml != null && !key.Xml.Contains("encryptedSecret"));
    }
}
