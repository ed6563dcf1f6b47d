using System.Globalization;
using System.Text.Json;

namespace RetinaScreen.Dicom.Tests.Support;

/// <summary>Compares two DICOM JSON documents value by value (numbers numerically), reporting the first differences.</summary>
internal static class JsonComparison
{
    public static List<string> Differences(JsonElement expected, JsonElement actual, ISet<string> ignoredKeys, bool skipUnknownTags = false)
    {
        var differences = new List<string>();
        Compare(expected, actual, ignoredKeys, skipUnknownTags, string.Empty, differences);
        return differences;
    }

    private static bool IsUnknownTagReadAsUn(string key, JsonElement actual) =>
        key.Length == 8
        && DicomTag.TryParse(key, out var tag)
        && DicomDictionary.Find(tag) is null
        && actual.TryGetProperty("vr", out var vr)
        && vr.GetString() == "UN";

    private static void Compare(JsonElement expected, JsonElement actual, ISet<string> ignoredKeys, bool skipUnknownTags, string path, List<string> differences)
    {
        if (expected.ValueKind == JsonValueKind.Number && actual.ValueKind == JsonValueKind.Number)
        {
            var e = expected.GetDouble();
            var a = actual.GetDouble();
            if (Math.Abs(e - a) > Math.Max(1e-6, Math.Abs(e) * 1e-6))
            {
                differences.Add($"{path}: expected {e.ToString(CultureInfo.InvariantCulture)}, got {a.ToString(CultureInfo.InvariantCulture)}");
            }

            return;
        }

        if (expected.ValueKind != actual.ValueKind)
        {
            differences.Add($"{path}: expected {expected.ValueKind} {expected}, got {actual.ValueKind} {actual}");
            return;
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in expected.EnumerateObject())
                {
                    if (ignoredKeys.Contains(property.Name))
                    {
                        continue;
                    }

                    if (!actual.TryGetProperty(property.Name, out var other))
                    {
                        differences.Add($"{path}/{property.Name}: missing");
                        continue;
                    }

                    if (skipUnknownTags && IsUnknownTagReadAsUn(property.Name, other))
                    {
                        continue;
                    }

                    Compare(property.Value, other, ignoredKeys, skipUnknownTags, $"{path}/{property.Name}", differences);
                }

                foreach (var property in actual.EnumerateObject())
                {
                    if (!ignoredKeys.Contains(property.Name) && !expected.TryGetProperty(property.Name, out _))
                    {
                        differences.Add($"{path}/{property.Name}: unexpected");
                    }
                }

                break;
            case JsonValueKind.Array:
                var expectedItems = expected.EnumerateArray().ToList();
                var actualItems = actual.EnumerateArray().ToList();
                if (expectedItems.Count != actualItems.Count)
                {
                    differences.Add($"{path}: expected {expectedItems.Count} values, got {actualItems.Count}");
                    return;
                }

                for (var i = 0; i < expectedItems.Count; i++)
                {
                    Compare(expectedItems[i], actualItems[i], ignoredKeys, skipUnknownTags, $"{path}[{i}]", differences);
                }

                break;
            default:
                if (expected.ToString() != actual.ToString())
                {
                    differences.Add($"{path}: expected '{expected}', got '{actual}'");
                }

                break;
        }
    }
}
