using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RetinaScreen.Data.Identity;

namespace RetinaScreen.Portal.Accounts;

/// <summary>
/// At start: makes sure the roles exist and, on a database without any user, creates the first administrator.
/// Runs in <see cref="StartAsync"/> so that it has finished before the server takes its first request.
/// There is no default password: either configuration names one, or a random one is logged once and must be changed.
/// </summary>
internal sealed class BootstrapAdministrator(
    IServiceScopeFactory scopeFactory,
    IConfiguration configuration,
    ILogger<BootstrapAdministrator> logger) : IHostedService
{
    public const string SectionName = "RetinaScreen:Bootstrap";
    public const string DefaultAdminEmail = "admin@retinascreen.local";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                var created = await roles.CreateAsync(new IdentityRole(role));
                if (created.Succeeded)
                {
                    PortalLog.RoleCreated(logger, role);
                }
                else if (!await roles.RoleExistsAsync(role))
                {
                    throw new InvalidOperationException($"Could not create role {role}: {Describe(created)}");
                }
            }
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<RetinaScreenUser>>();
        if (await users.Users.AnyAsync(cancellationToken))
        {
            return;
        }

        var section = configuration.GetSection(SectionName);
        var email = NullIfBlank(section["AdminEmail"]) ?? DefaultAdminEmail;
        var configuredPassword = section["AdminPassword"];
        if (string.IsNullOrWhiteSpace(configuredPassword))
        {
            configuredPassword = null;
        }

        var password = configuredPassword ?? GeneratePassword();

        var admin = new RetinaScreenUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = "Administrator",
            MustChangePassword = configuredPassword is null,
        };
        var result = await users.CreateAsync(admin, password);
        if (!result.Succeeded)
        {
            if (result.Errors.Any(error => error.Code is "DuplicateUserName" or "DuplicateEmail"))
            {
                PortalLog.BootstrapRaceLost(logger);
                return;
            }

            // A configured password that breaks the password rules is a deployment error worth stopping for.
            throw new InvalidOperationException($"Could not create the first administrator from {SectionName}: {Describe(result)}");
        }

        await users.AddToRoleAsync(admin, Roles.Admin);
        if (configuredPassword is null)
        {
            PortalLog.BootstrapAdminGenerated(logger, email, password);
        }
        else
        {
            PortalLog.BootstrapAdminConfigured(logger, email);
        }

        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        await audit.TryAppendAsync("system", "user.bootstrap", "user", admin.Id,
            new { generatedPassword = configuredPassword is null }, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>20 characters with each class the password rules require, from a cryptographic generator.</summary>
    internal static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnopqrstuvwxyz";
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        const string digits = "23456789";
        const string symbols = "!#$%*+-=?@^_";
        const string all = lower + upper + digits + symbols;

        var characters = new char[20];
        characters[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        characters[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        characters[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        characters[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < characters.Length; i++)
        {
            characters[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(characters.AsSpan());
        return new string(characters);
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Describe(IdentityResult result) =>
        string.Join("; ", result.Errors.Select(error => $"{error.Code}: {error.Description}"));
}
