using System.Globalization;

namespace RetinaScreen.Dicom;

/// <summary>A data element tag (group, element), ordered as the standard orders elements in a data set.</summary>
public readonly partial struct DicomTag : IEquatable<DicomTag>, IComparable<DicomTag>
{
    public DicomTag(ushort group, ushort element)
    {
        Value = (uint)group << 16 | element;
    }

    public DicomTag(uint value)
    {
        Value = value;
    }

    /// <summary>The tag as one number, group in the high 16 bits; the sort key of a data set.</summary>
    public uint Value { get; }

    public ushort Group => (ushort)(Value >> 16);

    public ushort Element => (ushort)Value;

    /// <summary>Odd groups other than 1, 3, 5, 7 and FFFF carry private data elements (PS3.5 7.8).</summary>
    public bool IsPrivate => (Group & 1) == 1 && Group > 0x0007 && Group != 0xFFFF;

    /// <summary>(gggg,0010-00FF) in a private group reserves a block of private elements.</summary>
    public bool IsPrivateCreator => IsPrivate && Element is >= 0x0010 and <= 0x00FF;

    public bool IsGroupLength => Element == 0x0000;

    public static readonly DicomTag Item = new(0xFFFE, 0xE000);
    public static readonly DicomTag ItemDelimitationItem = new(0xFFFE, 0xE00D);
    public static readonly DicomTag SequenceDelimitationItem = new(0xFFFE, 0xE0DD);

    public bool Equals(DicomTag other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is DicomTag other && Equals(other);

    public override int GetHashCode() => (int)Value;

    public int CompareTo(DicomTag other) => Value.CompareTo(other.Value);

    /// <summary>"(GGGG,EEEE)" in upper-case hexadecimal.</summary>
    public override string ToString() => string.Create(11, Value, static (span, value) =>
    {
        span[0] = '(';
        ((ushort)(value >> 16)).TryFormat(span[1..], out _, "X4", CultureInfo.InvariantCulture);
        span[5] = ',';
        ((ushort)value).TryFormat(span[6..], out _, "X4", CultureInfo.InvariantCulture);
        span[10] = ')';
    });

    /// <summary>"GGGGEEEE" as used for keys of the DICOM JSON model.</summary>
    public string ToJsonKey() => Value.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>Parses "(gggg,eeee)", "gggg,eeee", "ggggeeee" or a dictionary keyword.</summary>
    public static DicomTag Parse(string text)
    {
        if (TryParse(text, out var tag))
        {
            return tag;
        }

        throw new FormatException($"'{text}' is neither a tag (gggg,eeee) nor a known keyword.");
    }

    public static bool TryParse(string text, out DicomTag tag)
    {
        tag = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().TrimStart('(').TrimEnd(')').Replace(",", string.Empty, StringComparison.Ordinal);
        if (s.Length == 8 && uint.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
        {
            tag = new DicomTag(value);
            return true;
        }

        var entry = DicomDictionary.FindByKeyword(text.Trim());
        if (entry is null)
        {
            return false;
        }

        tag = entry.Tag;
        return true;
    }

    public static bool operator ==(DicomTag left, DicomTag right) => left.Equals(right);

    public static bool operator !=(DicomTag left, DicomTag right) => !left.Equals(right);

    public static bool operator <(DicomTag left, DicomTag right) => left.Value < right.Value;

    public static bool operator >(DicomTag left, DicomTag right) => left.Value > right.Value;

    public static bool operator <=(DicomTag left, DicomTag right) => left.Value <= right.Value;

    public static bool operator >=(DicomTag left, DicomTag right) => left.Value >= right.Value;
}
