using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Data;

namespace RetinaScreen.Portal.Accounts;

/// <summary>Where the certificate that encrypts the sign-in keys at rest comes from (<c>RetinaScreen:Portal:KeyProtection</c>).</summary>
public sealed class KeyProtectionOptions
{
    public const string SectionName = "RetinaScreen:Portal:KeyProtection";

    /// <summary>
    /// A PKCS#12 file (certificate with its RSA private key). Unset: <c>{DataPath}/keys/sign-in-keys.pfx</c>, generated
    /// on the first start. Every portal process of one installation must use the same file.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The file's password, if it has one.</summary>
    public string? CertificatePassword { get; set; }
}

/// <summary>
/// The keys that seal access and refresh tokens (ASP.NET Core Data Protection) are kept in the database so that
/// every portal process shares them. Whoever could read them could mint a token for any account, so each key is
/// stored encrypted to a certificate that is not in the database: a copy of the database alone mints nothing.
/// Keys found stored in clear (written before encryption) are removed at start.
/// </summary>
internal static class SignInKeyProtection
{
    public const string GeneratedFileName = "sign-in-keys.pfx";

    /// <summary>Registers Data Protection over the database with the keys encrypted to the configured (or generated) certificate.</summary>
    public static void AddTo(IServiceCollection services, KeyProtectionOptions options, string dataPath)
    {
        var (certificate, generatedAt) = LoadOrCreate(options, dataPath);
        services.AddSingleton(new SignInKeyCertificate(certificate, generatedAt));
        services.AddDataProtection()
            .SetApplicationName("RetinaScreen")
            .PersistKeysToDbContext<RetinaScreenDbContext>()
            .ProtectKeysWithCertificate(certificate)
            // Decryption otherwise looks for the certificate in the machine's certificate stores only.
            .UnprotectKeysWithAnyCertificate(certificate);
        // First of all hosted services: before Data Protection's own start-up (registered by whichever module
        // called AddAuthentication first) loads the key ring, so that no token is sealed with a key about to go.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, PlaintextKeyRemoval>());
    }

    /// <returns>The certificate, and the path it was generated at when this start generated it.</returns>
    internal static (X509Certificate2 Certificate, string? GeneratedAt) LoadOrCreate(KeyProtectionOptions options, string dataPath)
    {
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            var configured = Path.GetFullPath(options.CertificatePath);
            if (!File.Exists(configured))
            {
                throw new OptionsValidationException(KeyProtectionOptions.SectionName, typeof(KeyProtectionOptions),
                    [$"{KeyProtectionOptions.SectionName}:CertificatePath names {configured}, which does not exist."]);
            }

            return (Load(configured, options.CertificatePassword), null);
        }

        var folder = Path.Combine(Path.GetFullPath(dataPath), "keys");
        var path = Path.Combine(folder, GeneratedFileName);
        if (File.Exists(path))
        {
            return (Load(path, null), null);
        }

        PrivateFiles.CreateFolder(folder);
        var staging = Path.Combine(folder, $".{Guid.NewGuid():N}.tmp");
        using (var generated = Generate())
        {
            PrivateFiles.WriteNew(staging, generated.Export(X509ContentType.Pkcs12));
        }

        try
        {
            // Another process starting at the same moment may have won; then its file is the one.
            File.Move(staging, path, overwrite: false);
            return (Load(path, null), path);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(staging);
            return (Load(path, null), null);
        }
    }

    private static X509Certificate2 Load(string path, string? password)
    {
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        if (!certificate.HasPrivateKey || certificate.GetRSAPrivateKey() is null)
        {
            throw new OptionsValidationException(KeyProtectionOptions.SectionName, typeof(KeyProtectionOptions),
                [$"{path} holds no RSA private key; the sign-in keys cannot be decrypted with it."]);
        }

        return certificate;
    }

    private static X509Certificate2 Generate()
    {
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=RetinaScreen sign-in key protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        var now = DateTimeOffset.UtcNow;
        // Expiry is not checked when encrypting or decrypting keys; a long validity avoids a pointless rotation.
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(100));
    }

    /// <summary>At start: says that a certificate was generated, and removes keys that were stored in clear.</summary>
    private sealed class PlaintextKeyRemoval(
        SignInKeyCertificate certificate,
        IDbContextFactory<RetinaScreenDbContext> dbFactory,
        ILogger<PlaintextKeyRemoval> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (certificate.GeneratedAt is not null)
            {
                PortalLog.KeyCertificateGenerated(logger, certificate.GeneratedAt);
            }

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // An encrypted key's XML holds an <encryptedSecret> element in place of the key material.
            var plaintext = await db.DataProtectionKeys
                .Where(key => key.Xml != null && !key.Xml.Contains("encryptedSecret"))
                .ToListAsync(cancellationToken);
            if (plaintext.Count == 0)
            {
                return;
            }

            db.DataProtectionKeys.RemoveRange(plaintext);
            await db.SaveChangesAsync(cancellationToken);
            PortalLog.PlaintextKeysRemoved(logger, plaintext.Count);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <param name="GeneratedAt">Where this start generated the certificate; null when it was found or configured.</param>
internal sealed record SignInKeyCertificate(X509Certificate2 Certificate, string? GeneratedAt);
