namespace RetinaScreen.Data.Storage;

/// <summary>The content-addressed keys every object store uses: "ab/cd/&lt;sha256&gt;.ext".</summary>
public static class ObjectKeys
{
    /// <summary>"ab/cd/abcd….dcm": two levels of fan-out keep folders small on any file system (and listings short on S3).</summary>
    public static string KeyFor(string sha256, string extension)
    {
        EnsureSha256(sha256);
        if (extension is not { Length: >= 2 and <= 8 } || extension[0] != '.' || !extension[1..].All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException("An extension is a dot and a few letters or digits.", nameof(extension));
        }

        return $"{sha256[..2]}/{sha256[2..4]}/{sha256}{extension}";
    }

    public static void EnsureSha256(string sha256)
    {
        if (sha256 is not { Length: 64 } || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("A SHA-256 is 64 lower-case hex digits.", nameof(sha256));
        }
    }

    /// <summary>The SHA-256 a key names; <see cref="ArgumentException"/> for anything that is not a key made by <see cref="KeyFor"/>.</summary>
    public static string Sha256Of(string key)
    {
        // Keys come back from the database and from messages: whatever produced them, only this exact shape is used.
        if (key is not { Length: >= 6 + 64 + 2 and <= 6 + 64 + 8 } || key[2] != '/' || key[5] != '/')
        {
            throw new ArgumentException("Invalid object key.", nameof(key));
        }

        var sha256 = key.Substring(6, 64);
        if (!sha256.All(char.IsAsciiHexDigitLower) || !key.StartsWith($"{sha256[..2]}/{sha256[2..4]}/", StringComparison.Ordinal)
            || key[70] != '.' || !key[71..].All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException("Invalid object key.", nameof(key));
        }

        return sha256;
    }
}
