using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RetinaScreen.Dicom.Json;

/// <summary>
/// Writes the DICOM JSON model (PS3.18 Annex F): one object per data set keyed by "GGGGEEEE", numbers (IS and DS
/// included) as JSON numbers, PN as component groups, binary values as base64 InlineBinary. Group lengths are left out.
/// </summary>
public static partial class DicomJsonWriter
{
    public static string ToJson(DicomDataset dataset, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, dataset);
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    public static void Write(Utf8JsonWriter writer, DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(dataset);
        writer.WriteStartObject();
        foreach (var element in dataset)
        {
            if (element.Tag.IsGroupLength)
            {
                continue;
            }

            writer.WritePropertyName(element.Tag.ToJsonKey());
            writer.WriteStartObject();
            writer.WriteString("vr"u8, element.VR.Code);
            switch (element)
            {
                case DicomSequence sequence:
                    if (sequence.Items.Count > 0)
                    {
                        writer.WriteStartArray("Value"u8);
                        foreach (var item in sequence.Items)
                        {
                            Write(writer, item);
                        }

                        writer.WriteEndArray();
                    }

                    break;
                case DicomFragmentSequence fragments:
                    writer.WriteBase64String("InlineBinary"u8, EncapsulatedBytes(fragments));
                    break;
                case DicomPrimitive primitive:
                    WritePrimitive(writer, dataset, primitive);
                    break;
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WritePrimitive(Utf8JsonWriter writer, DicomDataset dataset, DicomPrimitive element)
    {
        var vr = element.VR;
        if (element.Length == 0)
        {
            return;
        }

        if (vr.Kind == DicomValueKind.Binary && DicomDataset.UnitSizeOf(vr) > 0 && !IsBulk(vr))
        {
            WriteBinaryNumbers(writer, element);
            return;
        }

        if (IsBulk(vr))
        {
            writer.WriteBase64String("InlineBinary"u8, element.Buffer.Memory.Span);
            return;
        }

        var values = dataset.GetValuesAsText(element);
        if (values.Length == 0 || (vr == DicomVR.PN && values.Length == 1 && TrimPersonName(values[0]).Length == 0))
        {
            return;
        }

        writer.WriteStartArray("Value"u8);
        foreach (var value in values)
        {
            var shown = vr == DicomVR.PN ? TrimPersonName(value) : value;
            if (shown.Length == 0)
            {
                writer.WriteNullValue();
            }
            else if (vr == DicomVR.PN)
            {
                WritePersonName(writer, shown);
            }
            else if (vr == DicomVR.IS || vr == DicomVR.DS)
            {
                WriteNumberText(writer, value);
            }
            else
            {
                writer.WriteStringValue(value);
            }
        }

        writer.WriteEndArray();
    }

    private static bool IsBulk(DicomVR vr) =>
        vr == DicomVR.OB || vr == DicomVR.OW || vr == DicomVR.OF || vr == DicomVR.OD || vr == DicomVR.OL || vr == DicomVR.OV || vr == DicomVR.UN;

    private static void WriteBinaryNumbers(Utf8JsonWriter writer, DicomPrimitive element)
    {
        var bytes = element.Buffer.Memory.Span;
        var vr = element.VR;
        var unit = vr == DicomVR.AT ? 4 : DicomDataset.UnitSizeOf(vr);
        writer.WriteStartArray("Value"u8);
        for (var i = 0; i + unit <= bytes.Length; i += unit)
        {
            var at = bytes[i..];
            switch (vr.Code)
            {
                case "US": writer.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(at)); break;
                case "SS": writer.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(at)); break;
                case "UL": writer.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(at)); break;
                case "SL": writer.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(at)); break;
                case "SV": writer.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(at)); break;
                case "UV": writer.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(at)); break;
                case "FL": WriteFloat(writer, BinaryPrimitives.ReadSingleLittleEndian(at)); break;
                case "FD": WriteFloat(writer, BinaryPrimitives.ReadDoubleLittleEndian(at)); break;
                case "AT":
                    writer.WriteStringValue(new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(at), BinaryPrimitives.ReadUInt16LittleEndian(at[2..])).ToJsonKey());
                    break;
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            // JSON has no NaN or infinity; the standard leaves them as text.
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteNumberText(Utf8JsonWriter writer, string value)
    {
        if (JsonNumber().IsMatch(value))
        {
            writer.WriteRawValue(value, skipInputValidation: true);
        }
        else if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    /// <summary>Drops trailing empty components and groups ("^^^^" is an empty name, PS3.5 6.2.1).</summary>
    private static string TrimPersonName(string value)
    {
        var groups = value.Split('=');
        for (var i = 0; i < groups.Length; i++)
        {
            groups[i] = groups[i].TrimEnd('^', ' ');
        }

        return string.Join('=', groups).TrimEnd('=');
    }

    private static void WritePersonName(Utf8JsonWriter writer, string value)
    {
        var groups = value.Split('=');
        writer.WriteStartObject();
        string[] names = ["Alphabetic", "Ideographic", "Phonetic"];
        for (var i = 0; i < groups.Length && i < names.Length; i++)
        {
            if (groups[i].Length > 0)
            {
                writer.WriteString(names[i], groups[i]);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>The encapsulated value as encoded: items (offset table, fragments) and the sequence delimiter.</summary>
    private static byte[] EncapsulatedBytes(DicomFragmentSequence fragments)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[8];
        void Item(DicomBuffer buffer, Span<byte> h)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0xE000FFFE);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)buffer.Length);
            stream.Write(h);
            buffer.CopyTo(stream);
        }

        Item(fragments.OffsetTable, header);
        foreach (var fragment in fragments.Fragments)
        {
            Item(fragment, header);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xE0DDFFFE);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 0);
        stream.Write(header);
        return stream.ToArray();
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}
