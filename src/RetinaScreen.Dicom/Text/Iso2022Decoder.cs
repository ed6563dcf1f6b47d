using System.Text;

namespace RetinaScreen.Dicom;

/// <summary>
/// Decodes text that switches character sets with ISO 2022 escape sequences (PS3.5 6.1.2.5, PS3.3 table C.12-4).
/// Two-byte sets are decoded through the EUC form of the same set (JIS X 0208/0212 via code page 20932, KS X 1001 via
/// EUC-KR, GB 2312 via EUC-CN), which the code page provider decodes: only the byte framing is done here.
/// </summary>
internal static class Iso2022Decoder
{
    private const byte Escape = 0x1B;

    internal enum G0Set
    {
        Ascii,
        JisX0208,
        JisX0212,
    }

    internal enum G1Set
    {
        None,
        Katakana,
        KsX1001,
        Gb2312,
        SingleByte,
    }

    /// <summary>The sets in force: G0 (bytes 0x21-0x7E) and G1 (bytes 0xA1-0xFE), the latter with its encoding when single-byte.</summary>
    internal readonly record struct State(G0Set G0, G1Set G1, Encoding? G1Encoding);

    private static readonly Lazy<Encoding> EucJp = new(() => Require(20932, "EUC-JP"));
    private static readonly Lazy<Encoding> EucKr = new(() => Require(51949, "EUC-KR"));
    private static readonly Lazy<Encoding> EucCn = new(() => Require(936, "GB 2312"));

    public static bool IsMultiByte(string term) => term is "ISO 2022 IR 87" or "ISO 2022 IR 159" or "ISO 2022 IR 149" or "ISO 2022 IR 58";

    /// <summary>The designations at the start of every value, from the first value of Specific Character Set.</summary>
    public static State InitialState(string firstTerm) => firstTerm switch
    {
        "ISO 2022 IR 13" or "ISO_IR 13" => new State(G0Set.Ascii, G1Set.Katakana, null),
        "ISO 2022 IR 149" => new State(G0Set.Ascii, G1Set.KsX1001, null),
        "ISO 2022 IR 58" => new State(G0Set.Ascii, G1Set.Gb2312, null),
        _ when SingleByteG1(firstTerm) is { } encoding => new State(G0Set.Ascii, G1Set.SingleByte, encoding),
        _ => new State(G0Set.Ascii, G1Set.None, null),
    };

    public static string Decode(ReadOnlySpan<byte> bytes, State initial, string description)
    {
        var text = new StringBuilder(bytes.Length);
        var state = initial;
        Span<byte> pair = stackalloc byte[2];
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == Escape)
            {
                state = Designate(bytes[i..], state, description, out var used);
                i += used;
                continue;
            }

            if (b < 0x80)
            {
                if (state.G0 != G0Set.Ascii && b > 0x20 && i + 1 < bytes.Length && bytes[i + 1] is > 0x20 and < 0x80)
                {
                    // Code page 20932 holds JIS X 0208 as two high-bit bytes and JIS X 0212 as a high-bit lead and a 7-bit trail byte.
                    pair[0] = (byte)(b | 0x80);
                    pair[1] = state.G0 == G0Set.JisX0212 ? bytes[i + 1] : (byte)(bytes[i + 1] | 0x80);
                    text.Append(EucJp.Value.GetString(pair[..2]));
                    i += 2;
                    continue;
                }

                text.Append((char)b);
                i++;

                // Delimiters are always in the default set and return every designation to the initial one (PS3.5 6.1.2.5.3).
                if (b is (byte)'\\' or (byte)'^' or (byte)'=' or 0x0D or 0x0A or 0x09 or 0x0C)
                {
                    state = initial;
                }

                continue;
            }

            switch (state.G1)
            {
                case G1Set.Katakana when b is >= 0xA1 and <= 0xDF:
                    text.Append((char)(0xFF61 + (b - 0xA1)));
                    i++;
                    break;
                case G1Set.KsX1001 or G1Set.Gb2312 when i + 1 < bytes.Length && bytes[i + 1] >= 0xA1:
                    text.Append((state.G1 == G1Set.KsX1001 ? EucKr.Value : EucCn.Value).GetString(bytes.Slice(i, 2)));
                    i += 2;
                    break;
                case G1Set.SingleByte:
                    text.Append(state.G1Encoding!.GetString(bytes.Slice(i, 1)));
                    i++;
                    break;
                default:
                    throw new DicomCharacterSetException(
                        $"Byte 0x{b:X2} at {i} is not valid in the character set in force (Specific Character Set '{description}')");
            }
        }

        return text.ToString();
    }

    private static State Designate(ReadOnlySpan<byte> bytes, State state, string description, out int used)
    {
        // ESC I F (3 bytes) or ESC $ I F / ESC $ ( F / ESC $ ) F (3-4 bytes).
        used = bytes.Length >= 4 && bytes[1] == (byte)'$' && bytes[2] is (byte)'(' or (byte)')' ? 4 : 3;
        if (bytes.Length < used)
        {
            throw new DicomCharacterSetException($"Truncated ISO 2022 escape sequence (Specific Character Set '{description}')");
        }

        var sequence = Encoding.ASCII.GetString(bytes[1..used]);
        return sequence switch
        {
            "(B" or "(J" => state with { G0 = G0Set.Ascii },
            "$B" or "$(B" or "$@" => state with { G0 = G0Set.JisX0208 },
            "$(D" => state with { G0 = G0Set.JisX0212 },
            ")I" => state with { G1 = G1Set.Katakana, G1Encoding = null },
            "$)C" => state with { G1 = G1Set.KsX1001, G1Encoding = null },
            "$)A" => state with { G1 = G1Set.Gb2312, G1Encoding = null },
            ['-', var f] when SingleByteG1ByFinal(f) is { } encoding => state with { G1 = G1Set.SingleByte, G1Encoding = encoding },
            _ => throw new DicomCharacterSetException(
                $"Unknown ISO 2022 escape sequence ESC {string.Join(' ', sequence.ToCharArray())} (Specific Character Set '{description}')"),
        };
    }

    private static Encoding? SingleByteG1(string term) => term switch
    {
        "ISO 2022 IR 100" => SingleByteG1ByFinal('A'),
        "ISO 2022 IR 101" => SingleByteG1ByFinal('B'),
        "ISO 2022 IR 109" => SingleByteG1ByFinal('C'),
        "ISO 2022 IR 110" => SingleByteG1ByFinal('D'),
        "ISO 2022 IR 126" => SingleByteG1ByFinal('F'),
        "ISO 2022 IR 127" => SingleByteG1ByFinal('G'),
        "ISO 2022 IR 138" => SingleByteG1ByFinal('H'),
        "ISO 2022 IR 144" => SingleByteG1ByFinal('L'),
        "ISO 2022 IR 148" => SingleByteG1ByFinal('M'),
        "ISO 2022 IR 166" => SingleByteG1ByFinal('T'),
        "ISO 2022 IR 203" => SingleByteG1ByFinal('b'),
        _ => null,
    };

    /// <summary>The single-byte G1 sets by the final byte of their escape sequence ESC - F (PS3.3 table C.12-3).</summary>
    private static Encoding? SingleByteG1ByFinal(char final) => final switch
    {
        'A' => Encoding.Latin1,
        'B' => DicomCharacterSet.CodePage(28592),
        'C' => DicomCharacterSet.CodePage(28593),
        'D' => DicomCharacterSet.CodePage(28594),
        'F' => DicomCharacterSet.CodePage(28597),
        'G' => DicomCharacterSet.CodePage(28596),
        'H' => DicomCharacterSet.CodePage(28598),
        'L' => DicomCharacterSet.CodePage(28595),
        'M' => DicomCharacterSet.CodePage(28599),
        'T' => DicomCharacterSet.CodePage(874),
        'b' => DicomCharacterSet.CodePage(28605),
        _ => null,
    };

    private static Encoding Require(int codePage, string name) =>
        DicomCharacterSet.CodePage(codePage) ?? throw new DicomCharacterSetException($"The {name} code page ({codePage}) is not available on this runtime");
}
