using System.Security.Cryptography;
using System.Text;

namespace RetinaScreen.Hosting.Devices;

/// <summary>API tokens of devices: 256 random bits shown once; only their SHA-256 is stored.</summary>
public static class DeviceTokens
{
    /// <summary>Prefix that lets a leaked token be recognised by secret scanners and people.</summary>
    private const string Prefix = "rsdev_";

    public static string NewToken() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A plain hash suffices: the token has full entropy, so it cannot be guessed from its hash.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
