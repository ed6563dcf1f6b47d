using System.Text;

namespace RetinaScreen.Dicom;

/// <summary>The Specific Character Set (0008,0005) is not one this toolkit can decode.</summary>
public sealed class DicomCharacterSetException : DicomFormatException
{
    public DicomCharacterSetException()
    {
    }

    public DicomCharacterSetException(string message)
        : base(message)
    {
    }

    public DicomCharacterSetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Maps Specific Character Set terms (PS3.3 C.12.1.1.2) to .NET encodings: the single-byte sets, UTF-8, GB18030/GBK,
/// and ISO 2022 code extensions (PS3.5 6.1.2.5) with escape sequences switching between the sets of table C.12-3/4 —
/// Japanese (IR 13, 87, 159), Korean (IR 149), Chinese (IR 58) and the single-byte G1 sets. An escape sequence for
/// a set the toolkit does not know ends in <see cref="DicomCharacterSetException"/>, never in guessed text.
/// </summary>
public sealed partial class DicomCharacterSet
{
    private const byte Escape = 0x1B;

    private DicomCharacterSet(string description, Encoding encoding, bool usesCodeExtensions, string? firstTerm = null)
    {
        Description = description;
        Encoding = encoding;
        UsesCodeExtensions = usesCodeExtensions;
        _initial = usesCodeExtensions ? Iso2022Decoder.InitialState(firstTerm ?? string.Empty) : default;
    }

    private readonly Iso2022Decoder.State _initial;

    /// <summary>The default repertoire. Bytes above 0x7F are not allowed there; they are read as Latin-1 rather than lost.</summary>
    public static DicomCharacterSet Default { get; } = new("ISO_IR 6", Encoding.Latin1, false);

    public static DicomCharacterSet Utf8 { get; } = new("ISO_IR 192", new UTF8Encoding(false), false);

    public string Description { get; }

    public Encoding Encoding { get; }

    public bool UsesCodeExtensions { get; }

    public bool IsDefault => ReferenceEquals(this, Default);

    public string Decode(ReadOnlySpan<byte> bytes)
    {
        if (UsesCodeExtensions && (bytes.IndexOf(Escape) >= 0 || _initial.G1 != Iso2022Decoder.G1Set.None))
        {
            return Iso2022Decoder.Decode(bytes, _initial, Description);
        }

        return Encoding.GetString(bytes);
    }

    public byte[] Encode(string text) => Encoding.GetBytes(text);

    /// <summary>Resolves the values of (0008,0005); throws <see cref="DicomCharacterSetException"/> naming an unknown term.</summary>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> terms)
    {
        var nonEmpty = new List<string>(terms.Count);
        foreach (var term in terms)
        {
            if (!string.IsNullOrWhiteSpace(term))
            {
                nonEmpty.Add(term.Trim());
            }
        }

        if (nonEmpty.Count == 0)
        {
            return Default;
        }

        var extensions = terms.Count > 1 || nonEmpty[0].StartsWith("ISO 2022", StringComparison.Ordinal);

        // The first value is the set in force at the start of every value; empty means the default repertoire.
        var firstTerm = string.IsNullOrWhiteSpace(terms[0]) ? "ISO 2022 IR 6" : terms[0].Trim();
        var first = nonEmpty[0];
        var encoding = EncodingFor(first)
            ?? throw new DicomCharacterSetException($"Specific Character Set '{string.Join('\\', terms)}' is not supported (unknown term '{first}')");
        if (first is "ISO_IR 192" or "GB18030" or "GBK")
        {
            return first == "ISO_IR 192" && !extensions ? Utf8 : new DicomCharacterSet(first, encoding, false);
        }

        foreach (var term in nonEmpty)
        {
            if (EncodingFor(term) is null)
            {
                throw new DicomCharacterSetException($"Specific Character Set '{string.Join('\\', terms)}' is not supported (unknown term '{term}')");
            }
        }

        return new DicomCharacterSet(string.Join('\\', terms), extensions && Iso2022Decoder.IsMultiByte(firstTerm) ? Encoding.Latin1 : EncodingFor(firstTerm) ?? encoding, extensions, firstTerm);
    }

    private static Encoding? EncodingFor(string term) => term switch
    {
        "ISO_IR 6" or "ISO 2022 IR 6" => Encoding.Latin1,
        "ISO_IR 100" or "ISO 2022 IR 100" => Encoding.Latin1,
        "ISO_IR 192" => Encoding.UTF8,
        "ISO_IR 101" or "ISO 2022 IR 101" => CodePage(28592),
        "ISO_IR 109" or "ISO 2022 IR 109" => CodePage(28593),
        "ISO_IR 110" or "ISO 2022 IR 110" => CodePage(28594),
        "ISO_IR 144" or "ISO 2022 IR 144" => CodePage(28595),
        "ISO_IR 127" or "ISO 2022 IR 127" => CodePage(28596),
        "ISO_IR 126" or "ISO 2022 IR 126" => CodePage(28597),
        "ISO_IR 138" or "ISO 2022 IR 138" => CodePage(28598),
        "ISO_IR 148" or "ISO 2022 IR 148" => CodePage(28599),
        "ISO_IR 203" or "ISO 2022 IR 203" => CodePage(28605),
        "ISO_IR 166" or "ISO 2022 IR 166" => CodePage(874),
        "ISO_IR 13" or "ISO 2022 IR 13" => CodePage(932),
        "ISO 2022 IR 87" or "ISO 2022 IR 159" or "ISO 2022 IR 149" or "ISO 2022 IR 58" => Encoding.Latin1,
        "GB18030" => CodePage(54936),
        "GBK" => CodePage(936),
        _ => null,
    };

    internal static Encoding? CodePage(int codePage)
    {
        try
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(codePage);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }
}
