using System.Globalization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace RetinaScreen.Data.Configuration;

/// <summary>
/// Conversions that make one model behave the same on SQLite and PostgreSQL.
/// </summary>
public static class PortableConverters
{
    /// <summary>
    /// Instants are stored as UTC ticks (a 64-bit integer) on every provider: SQLite cannot compare or
    /// ORDER BY a DateTimeOffset, and Npgsql refuses non-UTC offsets; an integer sorts and compares everywhere
    /// with 100 ns precision. Values read back carry offset zero.
    /// </summary>
    public sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        value => value.UtcTicks,
        ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

    /// <summary>Probabilities stored as invariant, round-trippable numbers separated by commas ("0.9,0.05,...").</summary>
    public sealed class DoubleArrayConverter() : ValueConverter<double[], string>(
        values => Join(values),
        text => Split(text));

    /// <summary>Compares arrays by content so that an element changed in place is detected as a change.</summary>
    public sealed class DoubleArrayComparer() : ValueComparer<double[]>(
        (left, right) => left == null ? right == null : right != null && left.SequenceEqual(right),
        values => values.Aggregate(0, (hash, value) => HashCode.Combine(hash, value.GetHashCode())),
        values => values.ToArray());

    private static string Join(double[] values) =>
        string.Join(',', values.Select(value => value.ToString("R", CultureInfo.InvariantCulture)));

    private static double[] Split(string text) =>
        string.IsNullOrEmpty(text)
            ? []
            : text.Split(',').Select(part => double.Parse(part, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
}
