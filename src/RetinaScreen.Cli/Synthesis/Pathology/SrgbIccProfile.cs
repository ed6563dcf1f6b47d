using System.Buffers.Binary;
using System.Text;

namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>
/// A small ICC v2 display profile for sRGB (matrix/TRC: D50-adapted primaries and the sRGB tone curve), which a
/// colour whole slide image must carry in its optical path (PS3.3 C.8.12.5). The synthesiser renders in sRGB.
/// </summary>
internal static class SrgbIccProfile
{
    private const int HeaderLength = 128;

    public static byte[] Bytes { get; } = Create();

    private static byte[] Create()
    {
        var tags = new List<(string Signature, byte[] Data)>
        {
            ("desc", Description("sRGB (RetinaScreen synthetic)")),
            ("cprt", Text("No copyright, use freely")),
            ("wtpt", Xyz(0.9642, 1.0, 0.8249)),
            ("rXYZ", Xyz(0.4360747, 0.2225045, 0.0139322)),
            ("gXYZ", Xyz(0.3850649, 0.7168786, 0.0971045)),
            ("bXYZ", Xyz(0.1430804, 0.0606169, 0.7141733)),
        };
        var curve = ToneCurve();
        var tableLength = 4 + 12 * (tags.Count + 3);
        var body = new MemoryStream();
        var entries = new List<(string Signature, int Offset, int Length)>();
        foreach (var (signature, data) in tags)
        {
            entries.Add((signature, HeaderLength + tableLength + (int)body.Length, data.Length));
            body.Write(data);
            Align(body);
        }

        // The three channels share one curve: tag data may be referenced by several tags.
        var curveOffset = HeaderLength + tableLength + (int)body.Length;
        body.Write(curve);
        Align(body);
        entries.AddRange([("rTRC", curveOffset, curve.Length), ("gTRC", curveOffset, curve.Length), ("bTRC", curveOffset, curve.Length)]);

        var size = HeaderLength + tableLength + (int)body.Length;
        var profile = new byte[size];
        var h = profile.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(h, (uint)size);
        BinaryPrimitives.WriteUInt32BigEndian(h[8..], 0x02100000);
        Encoding.ASCII.GetBytes("mntrRGB XYZ ", h[12..]);
        // Creation date 2026-01-01 00:00:00, fixed so the profile (and every file carrying it) is reproducible.
        BinaryPrimitives.WriteUInt16BigEndian(h[24..], 2026);
        BinaryPrimitives.WriteUInt16BigEndian(h[26..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(h[28..], 1);
        Encoding.ASCII.GetBytes("acsp", h[36..]);
        WriteS15Fixed16(h[68..], 0.9642);
        WriteS15Fixed16(h[72..], 1.0);
        WriteS15Fixed16(h[76..], 0.8249);
        BinaryPrimitives.WriteUInt32BigEndian(h[HeaderLength..], (uint)entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = h[(HeaderLength + 4 + i * 12)..];
            Encoding.ASCII.GetBytes(entries[i].Signature, e);
            BinaryPrimitives.WriteUInt32BigEndian(e[4..], (uint)entries[i].Offset);
            BinaryPrimitives.WriteUInt32BigEndian(e[8..], (uint)entries[i].Length);
        }

        body.ToArray().CopyTo(profile, HeaderLength + tableLength);
        return profile;
    }

    private static byte[] Description(string text)
    {
        // textDescriptionType: ASCII part, then empty Unicode and ScriptCode parts.
        var ascii = Encoding.ASCII.GetBytes(text + "\0");
        var data = new byte[12 + ascii.Length + 8 + 3 + 67];
        Encoding.ASCII.GetBytes("desc", data);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), (uint)ascii.Length);
        ascii.CopyTo(data, 12);
        return data;
    }

    private static byte[] Text(string text)
    {
        var ascii = Encoding.ASCII.GetBytes(text + "\0");
        var data = new byte[8 + ascii.Length];
        Encoding.ASCII.GetBytes("text", data);
        ascii.CopyTo(data, 8);
        return data;
    }

    private static byte[] Xyz(double x, double y, double z)
    {
        var data = new byte[20];
        Encoding.ASCII.GetBytes("XYZ ", data);
        WriteS15Fixed16(data.AsSpan(8), x);
        WriteS15Fixed16(data.AsSpan(12), y);
        WriteS15Fixed16(data.AsSpan(16), z);
        return data;
    }

    /// <summary>The sRGB transfer function (IEC 61966-2-1) sampled at 256 points.</summary>
    private static byte[] ToneCurve()
    {
        const int points = 256;
        var data = new byte[12 + points * 2];
        Encoding.ASCII.GetBytes("curv", data);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), points);
        for (var i = 0; i < points; i++)
        {
            var v = i / (double)(points - 1);
            var linear = v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(12 + i * 2), (ushort)Math.Round(linear * 65535));
        }

        return data;
    }

    private static void WriteS15Fixed16(Span<byte> target, double value) =>
        BinaryPrimitives.WriteInt32BigEndian(target, (int)Math.Round(value * 65536));

    private static void Align(MemoryStream stream)
    {
        while (stream.Length % 4 != 0)
        {
            stream.WriteByte(0);
        }
    }
}
