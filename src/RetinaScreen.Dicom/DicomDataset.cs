using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text;

namespace RetinaScreen.Dicom;

/// <summary>
/// A data set: elements kept in ascending tag order, as they are encoded. Getters trim value padding; text is
/// decoded with the Specific Character Set of this data set or, for a sequence item, of the nearest enclosing one.
/// </summary>
public sealed class DicomDataset : IEnumerable<DicomElement>
{
    private readonly List<DicomElement> _elements;
    private DicomCharacterSet? _characterSet;

    public DicomDataset()
    {
        _elements = [];
    }

    public DicomDataset(params IEnumerable<DicomElement> elements)
        : this()
    {
        foreach (var element in elements)
        {
            Add(element);
        }
    }

    /// <summary>
    /// The transfer syntax this data set was read in, when read from a stream; it says how the pixel data is encoded.
    /// </summary>
    public string? TransferSyntaxUid { get; set; }

    /// <summary>The sequence this data set is an item of, or null at the top level.</summary>
    public DicomSequence? Parent { get; internal set; }

    public int Count => _elements.Count;

    /// <summary>The character set that decodes this data set's text (own (0008,0005), else the enclosing data set's).</summary>
    public DicomCharacterSet CharacterSet
    {
        get
        {
            if (_characterSet is not null)
            {
                return _characterSet;
            }

            if (Find(DicomTag.SpecificCharacterSet) is DicomPrimitive own)
            {
                return _characterSet = DicomCharacterSet.FromTerms(SplitValues(DicomCharacterSet.Default.Decode(own.Buffer.Memory.Span), DicomVR.CS));
            }

            return Parent?.Owner?.CharacterSet ?? DicomCharacterSet.Default;
        }
    }

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public DicomElement? Find(DicomTag tag)
    {
        var index = IndexOf(tag);
        return index >= 0 ? _elements[index] : null;
    }

    public DicomElement this[DicomTag tag] => Find(tag) ?? throw new KeyNotFoundException($"The data set has no element {tag} ({DicomDictionary.KeywordOf(tag)}).");

    /// <summary>Adds or replaces an element.</summary>
    public DicomDataset Add(DicomElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (element.Tag == DicomTag.SpecificCharacterSet)
        {
            _characterSet = null;
        }

        if (element is DicomSequence sequence)
        {
            sequence.Owner = this;
        }

        // Readers add in ascending order; appending is the common case.
        if (_elements.Count == 0 || _elements[^1].Tag < element.Tag)
        {
            _elements.Add(element);
            return this;
        }

        var index = IndexOf(element.Tag);
        if (index >= 0)
        {
            _elements[index] = element;
        }
        else
        {
            _elements.Insert(~index, element);
        }

        return this;
    }

    public bool Remove(DicomTag tag)
    {
        var index = IndexOf(tag);
        if (index < 0)
        {
            return false;
        }

        if (tag == DicomTag.SpecificCharacterSet)
        {
            _characterSet = null;
        }

        _elements.RemoveAt(index);
        return true;
    }

    public IEnumerator<DicomElement> GetEnumerator() => _elements.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // ---- getters ----

    /// <summary>The whole text value with padding trimmed (multiple values still joined by '\'), or null when absent.</summary>
    public string? GetString(DicomTag tag)
    {
        if (Find(tag) is not DicomPrimitive element)
        {
            return null;
        }

        return ElementText(element);
    }

    /// <summary>The text value, or <paramref name="defaultValue"/> when the element is absent or empty.</summary>
    public string GetString(DicomTag tag, string defaultValue)
    {
        var value = GetString(tag);
        return string.IsNullOrEmpty(value) ? defaultValue : value;
    }

    /// <summary>Each value of a multi-valued text element, trimmed; empty when absent.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        if (Find(tag) is not DicomPrimitive element)
        {
            return [];
        }

        if (!ValueVR(element).IsText)
        {
            return GetNumbersAsText(element, ValueVR(element));
        }

        return SplitValues(Decode(element), ValueVR(element));
    }

    /// <summary>A UID value without its NUL padding.</summary>
    public string? GetUid(DicomTag tag) => GetString(tag);

    public bool TryGetInt32(DicomTag tag, out int value) => TryGetInt32(tag, 0, out value);

    /// <summary>The <paramref name="index"/>th value of a US, SS, UL, SL, IS (or DS holding an integer) element.</summary>
    public bool TryGetInt32(DicomTag tag, int index, out int value)
    {
        value = 0;
        if (Find(tag) is not DicomPrimitive element)
        {
            return false;
        }

        if (ValueVR(element).IsText)
        {
            var values = SplitValues(Decode(element), ValueVR(element));
            if (index >= values.Length)
            {
                return false;
            }

            if (int.TryParse(values[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
            {
                return true;
            }

            if (double.TryParse(values[index], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
            {
                value = (int)d;
                return true;
            }

            return false;
        }

        var unit = UnitSizeOf(ValueVR(element));
        var bytes = element.Buffer.Memory.Span;
        if (unit == 0 || (index + 1) * unit > bytes.Length)
        {
            return false;
        }

        var at = bytes[(index * unit)..];
        long v = ValueVR(element).Code switch
        {
            "US" or "OW" => BinaryPrimitives.ReadUInt16LittleEndian(at),
            "SS" => BinaryPrimitives.ReadInt16LittleEndian(at),
            "UL" or "OL" => BinaryPrimitives.ReadUInt32LittleEndian(at),
            "SL" => BinaryPrimitives.ReadInt32LittleEndian(at),
            "SV" => BinaryPrimitives.ReadInt64LittleEndian(at),
            "UV" or "OV" => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(at), long.MaxValue),
            "OB" or "UN" => at[0],
            _ => long.MinValue,
        };
        if (v is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        value = (int)v;
        return true;
    }

    public int? GetInt32(DicomTag tag) => TryGetInt32(tag, out var value) ? value : null;

    public int GetInt32(DicomTag tag, int defaultValue) => TryGetInt32(tag, out var value) ? value : defaultValue;

    /// <summary>The <paramref name="index"/>th value of an FL, FD, DS, or integer element.</summary>
    public bool TryGetDouble(DicomTag tag, int index, out double value)
    {
        value = 0;
        if (Find(tag) is not DicomPrimitive element)
        {
            return false;
        }

        if (ValueVR(element).IsText)
        {
            var values = SplitValues(Decode(element), ValueVR(element));
            return index < values.Length && double.TryParse(values[index], NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }

        var bytes = element.Buffer.Memory.Span;
        if (ValueVR(element) == DicomVR.FL || ValueVR(element) == DicomVR.OF)
        {
            if ((index + 1) * 4 > bytes.Length)
            {
                return false;
            }

            value = BinaryPrimitives.ReadSingleLittleEndian(bytes[(index * 4)..]);
            return true;
        }

        if (ValueVR(element) == DicomVR.FD || ValueVR(element) == DicomVR.OD)
        {
            if ((index + 1) * 8 > bytes.Length)
            {
                return false;
            }

            value = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(index * 8)..]);
            return true;
        }

        if (TryGetInt32(tag, index, out var i))
        {
            value = i;
            return true;
        }

        return false;
    }

    public double? GetDouble(DicomTag tag) => TryGetDouble(tag, 0, out var value) ? value : null;

    /// <summary>The raw value bytes (little endian); loads a deferred value.</summary>
    public ReadOnlyMemory<byte>? GetBytes(DicomTag tag) => Find(tag) is DicomPrimitive element ? element.Buffer.Memory : null;

    public DicomSequence? GetSequence(DicomTag tag) => Find(tag) as DicomSequence;

    /// <summary>The items of a sequence; empty when absent.</summary>
    public IReadOnlyList<DicomDataset> GetItems(DicomTag tag) => GetSequence(tag)?.Items ?? [];

    /// <summary>The values of an element as text, as a dump shows them (numbers formatted, binary summarised).</summary>
    public string[] GetValuesAsText(DicomPrimitive element)
    {
        ArgumentNullException.ThrowIfNull(element);
        return element.VR.IsText ? SplitValues(Decode(element), element.VR) : GetNumbersAsText(element, element.VR);
    }

    // ---- setters ----

    /// <summary>Sets a text element; the VR comes from the dictionary. Several values are joined with '\'.</summary>
    public DicomDataset Set(DicomTag tag, params string[] values) => Set(tag, VRFor(tag), values);

    public DicomDataset Set(DicomTag tag, DicomVR vr, params string[] values)
    {
        ArgumentNullException.ThrowIfNull(vr);
        ArgumentNullException.ThrowIfNull(values);
        if (!vr.IsText)
        {
            return SetNumbers(tag, vr, values);
        }

        var text = string.Join('\\', values);
        if (vr.UsesSpecificCharacterSet && !IsAscii(text) && CharacterSet.IsDefault && Parent is null && tag != DicomTag.SpecificCharacterSet)
        {
            // Non-ASCII text needs a declared character set; UTF-8 represents any string.
            Set(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        }

        var bytes = vr.UsesSpecificCharacterSet ? CharacterSet.Encode(text) : Encoding.ASCII.GetBytes(text);
        return Add(new DicomPrimitive(tag, vr, Pad(bytes, vr.Padding)));
    }

    /// <summary>Sets integers in the dictionary VR of the tag (US, SS, UL, SL, IS, DS, ...).</summary>
    public DicomDataset Set(DicomTag tag, params int[] values) => Set(tag, VRFor(tag), values);

    public DicomDataset Set(DicomTag tag, DicomVR vr, params int[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var text = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            text[i] = values[i].ToString(CultureInfo.InvariantCulture);
        }

        return Set(tag, vr, text);
    }

    public DicomDataset Set(DicomTag tag, params double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var vr = VRFor(tag);
        var text = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            text[i] = vr == DicomVR.DS ? FormatDecimalString(values[i]) : values[i].ToString("R", CultureInfo.InvariantCulture);
        }

        return Set(tag, vr, text);
    }

    /// <summary>Sets a binary value (OB, OW, UN, ...) from little-endian bytes.</summary>
    public DicomDataset Set(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> value) =>
        Add(new DicomPrimitive(tag, vr, (value.Length & 1) == 1 ? Pad(value.ToArray(), vr.Padding) : value));

    public DicomDataset Set(DicomTag tag, params IEnumerable<DicomDataset> items) => Add(new DicomSequence(tag, items));

    // ---- helpers ----

    private int IndexOf(DicomTag tag)
    {
        int lo = 0, hi = _elements.Count - 1;
        var key = tag.Value;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var value = _elements[mid].Tag.Value;
            if (value == key)
            {
                return mid;
            }

            if (value < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private static DicomVR VRFor(DicomTag tag) =>
        DicomDictionary.Find(tag)?.VR ?? throw new ArgumentException($"Tag {tag} is not in the dictionary; pass its VR.", nameof(tag));

    /// <summary>
    /// The VR to interpret a value with: an element that arrived as UN (explicit UN, or a gateway that lost the VR)
    /// is read with the dictionary's VR, so getters see text and numbers rather than opaque bytes.
    /// </summary>
    private static DicomVR ValueVR(DicomPrimitive element) =>
        element.VR == DicomVR.UN && DicomDictionary.Find(element.Tag) is { VR: { IsSequence: false } known } ? known : element.VR;

    private string Decode(DicomPrimitive element)
    {
        var bytes = element.Buffer.Memory.Span;
        return ValueVR(element).UsesSpecificCharacterSet ? CharacterSet.Decode(bytes) : DicomCharacterSet.Default.Decode(bytes);
    }

    private string ElementText(DicomPrimitive element)
    {
        if (!ValueVR(element).IsText)
        {
            return string.Join('\\', GetNumbersAsText(element, ValueVR(element)));
        }

        return TrimValue(Decode(element), ValueVR(element));
    }

    internal static string TrimValue(string value, DicomVR vr)
    {
        // Leading spaces are significant in the text-block VRs; everywhere else both ends are padding.
        return vr == DicomVR.ST || vr == DicomVR.LT || vr == DicomVR.UT
            ? value.TrimEnd(' ', '\0')
            : value.Trim(' ', '\0');
    }

    internal static string[] SplitValues(string text, DicomVR vr)
    {
        if (!vr.IsMultiValuedText)
        {
            var single = TrimValue(text, vr);
            return single.Length == 0 ? [] : [single];
        }

        if (text.Length == 0 || TrimValue(text, vr).Length == 0)
        {
            return [];
        }

        var parts = text.Split('\\');
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = TrimValue(parts[i], vr);
        }

        return parts;
    }

    internal static int UnitSizeOf(DicomVR vr) => vr.Code switch
    {
        "US" or "SS" or "OW" or "AT" => 2,
        "UL" or "SL" or "FL" or "OF" or "OL" => 4,
        "FD" or "OD" or "SV" or "UV" or "OV" => 8,
        "OB" or "UN" => 1,
        _ => 0,
    };

    internal static string[] GetNumbersAsText(DicomPrimitive element, DicomVR vr)
    {
        if (vr == DicomVR.OB || vr == DicomVR.UN || vr == DicomVR.OW || vr == DicomVR.OF || vr == DicomVR.OD || vr == DicomVR.OL || vr == DicomVR.OV)
        {
            return [];
        }

        var bytes = element.Buffer.Memory.Span;
        var unit = UnitSizeOf(vr);
        if (unit == 0)
        {
            return [];
        }

        if (vr == DicomVR.AT)
        {
            var tags = new string[bytes.Length / 4];
            for (var i = 0; i < tags.Length; i++)
            {
                var t = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 4)..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 4 + 2)..]));
                tags[i] = t.ToJsonKey();
            }

            return tags;
        }

        var result = new string[bytes.Length / unit];
        for (var i = 0; i < result.Length; i++)
        {
            var at = bytes[(i * unit)..];
            result[i] = vr.Code switch
            {
                "US" => BinaryPrimitives.ReadUInt16LittleEndian(at).ToString(CultureInfo.InvariantCulture),
                "SS" => BinaryPrimitives.ReadInt16LittleEndian(at).ToString(CultureInfo.InvariantCulture),
                "UL" => BinaryPrimitives.ReadUInt32LittleEndian(at).ToString(CultureInfo.InvariantCulture),
                "SL" => BinaryPrimitives.ReadInt32LittleEndian(at).ToString(CultureInfo.InvariantCulture),
                "FL" => BinaryPrimitives.ReadSingleLittleEndian(at).ToString("R", CultureInfo.InvariantCulture),
                "FD" => BinaryPrimitives.ReadDoubleLittleEndian(at).ToString("R", CultureInfo.InvariantCulture),
                "SV" => BinaryPrimitives.ReadInt64LittleEndian(at).ToString(CultureInfo.InvariantCulture),
                "UV" => BinaryPrimitives.ReadUInt64LittleEndian(at).ToString(CultureInfo.InvariantCulture),
                _ => string.Empty,
            };
        }

        return result;
    }

    private DicomDataset SetNumbers(DicomTag tag, DicomVR vr, string[] values)
    {
        // An AT value is a group and an element: two 16-bit numbers.
        var unit = vr == DicomVR.AT ? 4 : UnitSizeOf(vr);
        if (unit == 0 || vr == DicomVR.OB || vr == DicomVR.UN)
        {
            throw new ArgumentException($"Values of VR {vr} cannot be given as text.", nameof(vr));
        }

        var bytes = new byte[values.Length * unit];
        for (var i = 0; i < values.Length; i++)
        {
            var at = bytes.AsSpan(i * unit);
            var s = values[i];
            switch (vr.Code)
            {
                case "US" or "OW": BinaryPrimitives.WriteUInt16LittleEndian(at, ushort.Parse(s, CultureInfo.InvariantCulture)); break;
                case "SS": BinaryPrimitives.WriteInt16LittleEndian(at, short.Parse(s, CultureInfo.InvariantCulture)); break;
                case "UL" or "OL": BinaryPrimitives.WriteUInt32LittleEndian(at, uint.Parse(s, CultureInfo.InvariantCulture)); break;
                case "SL": BinaryPrimitives.WriteInt32LittleEndian(at, int.Parse(s, CultureInfo.InvariantCulture)); break;
                case "FL" or "OF": BinaryPrimitives.WriteSingleLittleEndian(at, float.Parse(s, CultureInfo.InvariantCulture)); break;
                case "FD" or "OD": BinaryPrimitives.WriteDoubleLittleEndian(at, double.Parse(s, CultureInfo.InvariantCulture)); break;
                case "SV": BinaryPrimitives.WriteInt64LittleEndian(at, long.Parse(s, CultureInfo.InvariantCulture)); break;
                case "UV" or "OV": BinaryPrimitives.WriteUInt64LittleEndian(at, ulong.Parse(s, CultureInfo.InvariantCulture)); break;
                case "AT":
                    var t = DicomTag.Parse(s);
                    BinaryPrimitives.WriteUInt16LittleEndian(at, t.Group);
                    BinaryPrimitives.WriteUInt16LittleEndian(at[2..], t.Element);
                    break;
            }
        }

        return Add(new DicomPrimitive(tag, vr, bytes));
    }

    private static string FormatDecimalString(double value)
    {
        // DS holds at most 16 characters (PS3.5 6.2).
        for (var digits = 15; digits > 0; digits--)
        {
            var s = value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (s.Length <= 16)
            {
                return s;
            }
        }

        return "0";
    }

    private static bool IsAscii(string text)
    {
        foreach (var c in text)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] Pad(byte[] bytes, byte padding)
    {
        if ((bytes.Length & 1) == 0)
        {
            return bytes;
        }

        var padded = new byte[bytes.Length + 1];
        bytes.CopyTo(padded, 0);
        padded[^1] = padding;
        return padded;
    }
}
