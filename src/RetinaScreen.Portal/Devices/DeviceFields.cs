using RetinaScreen.Hosting.Devices;

namespace RetinaScreen.Portal.Devices;

/// <summary>The rules for a device's fields, the same at registration and at every later change.</summary>
internal static class DeviceFields
{
    public static void ValidateName(string? name, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 128)
        {
            errors["name"] = ["A name of 1-128 characters is required."];
        }
    }

    public static void ValidateAeTitle(string? aeTitle, Dictionary<string, string[]> errors)
    {
        // AE VR: at most 16 characters of the default repertoire, no backslash or control characters.
        if (!string.IsNullOrWhiteSpace(aeTitle) && (aeTitle.Trim().Length > 16 || aeTitle.Any(c => c is '\\' or < ' ' or > '~')))
        {
            errors["aeTitle"] = ["An AE title is 1-16 printable ASCII characters without backslash."];
        }
    }

    public static void ValidateAllowedAddress(string? allowedAddress, Dictionary<string, string[]> errors)
    {
        if (!string.IsNullOrWhiteSpace(allowedAddress) && !AddressRange.IsValid(allowedAddress.Trim()))
        {
            errors["allowedAddress"] = ["An IPv4/IPv6 address or CIDR block is required."];
        }
    }

    public static void ValidateThumbprint(string? certificateThumbprint, Dictionary<string, string[]> errors)
    {
        var thumbprint = NormalizeThumbprint(certificateThumbprint);
        if (thumbprint is not null && (thumbprint.Length != 64 || !thumbprint.All(char.IsAsciiHexDigitLower)))
        {
            errors["certificateThumbprint"] = ["A SHA-256 certificate thumbprint is 64 hexadecimal digits (colons allowed)."];
        }
    }

    public static void ValidateSite(string? site, Dictionary<string, string[]> errors)
    {
        if (site is { Length: > 128 })
        {
            errors["site"] = ["At most 128 characters."];
        }
    }

    /// <summary>An optional text field: blank means none.</summary>
    public static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Thumbprints are copied from tools that print them upper-case and colon-separated; they are kept lower-case hex.</summary>
    public static string? NormalizeThumbprint(string? thumbprint) =>
        string.IsNullOrWhiteSpace(thumbprint) ? null : thumbprint.Trim().Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
}
