namespace RetinaScreen.Dicom;

/// <summary>How a value is stored, so the reader and writer can treat the bytes without the dictionary (PS3.5 6.2).</summary>
public enum DicomValueKind
{
    Text,
    Binary,
    Sequence,
}

/// <summary>A value representation of PS3.5 table 6.2-1. Instances are singletons; compare by reference or <see cref="Code"/>.</summary>
public sealed class DicomVR
{
    private DicomVR(string code, DicomValueKind kind, bool longLength, byte padding, int unitSize, bool multiValueText = true, bool characterSetText = false)
    {
        Code = code;
        Kind = kind;
        HasLongExplicitLength = longLength;
        Padding = padding;
        UnitSize = unitSize;
        IsMultiValuedText = kind == DicomValueKind.Text && multiValueText;
        UsesSpecificCharacterSet = characterSetText;
    }

    public string Code { get; }

    public DicomValueKind Kind { get; }

    /// <summary>Explicit VR encodes a 2-byte reserved field and a 4-byte length (PS3.5 7.1.2) rather than a 2-byte length.</summary>
    public bool HasLongExplicitLength { get; }

    /// <summary>The byte that pads a value to even length.</summary>
    public byte Padding { get; }

    /// <summary>Size of one binary number (for byte swapping and counting); 1 for byte streams and text.</summary>
    public int UnitSize { get; }

    /// <summary>Text whose values are separated by backslash (false for ST, LT, UT, UR which take the backslash literally).</summary>
    public bool IsMultiValuedText { get; }

    /// <summary>Text that is decoded with the data set's Specific Character Set rather than the default repertoire.</summary>
    public bool UsesSpecificCharacterSet { get; }

    public bool IsText => Kind == DicomValueKind.Text;

    public bool IsSequence => Kind == DicomValueKind.Sequence;

    /// <summary>A binary VR holding numbers whose byte order follows the transfer syntax (everything but OB and UN).</summary>
    public bool IsByteOrderSensitive => Kind == DicomValueKind.Binary && UnitSize > 1;

    public override string ToString() => Code;

    public static readonly DicomVR AE = new("AE", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR AS = new("AS", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR AT = new("AT", DicomValueKind.Binary, false, 0, 2);
    public static readonly DicomVR CS = new("CS", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR DA = new("DA", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR DS = new("DS", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR DT = new("DT", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR FD = new("FD", DicomValueKind.Binary, false, 0, 8);
    public static readonly DicomVR FL = new("FL", DicomValueKind.Binary, false, 0, 4);
    public static readonly DicomVR IS = new("IS", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR LO = new("LO", DicomValueKind.Text, false, (byte)' ', 1, characterSetText: true);
    public static readonly DicomVR LT = new("LT", DicomValueKind.Text, false, (byte)' ', 1, multiValueText: false, characterSetText: true);
    public static readonly DicomVR OB = new("OB", DicomValueKind.Binary, true, 0, 1);
    public static readonly DicomVR OD = new("OD", DicomValueKind.Binary, true, 0, 8);
    public static readonly DicomVR OF = new("OF", DicomValueKind.Binary, true, 0, 4);
    public static readonly DicomVR OL = new("OL", DicomValueKind.Binary, true, 0, 4);
    public static readonly DicomVR OV = new("OV", DicomValueKind.Binary, true, 0, 8);
    public static readonly DicomVR OW = new("OW", DicomValueKind.Binary, true, 0, 2);
    public static readonly DicomVR PN = new("PN", DicomValueKind.Text, false, (byte)' ', 1, characterSetText: true);
    public static readonly DicomVR SH = new("SH", DicomValueKind.Text, false, (byte)' ', 1, characterSetText: true);
    public static readonly DicomVR SL = new("SL", DicomValueKind.Binary, false, 0, 4);
    public static readonly DicomVR SQ = new("SQ", DicomValueKind.Sequence, true, 0, 1);
    public static readonly DicomVR SS = new("SS", DicomValueKind.Binary, false, 0, 2);
    public static readonly DicomVR ST = new("ST", DicomValueKind.Text, false, (byte)' ', 1, multiValueText: false, characterSetText: true);
    public static readonly DicomVR SV = new("SV", DicomValueKind.Binary, true, 0, 8);
    public static readonly DicomVR TM = new("TM", DicomValueKind.Text, false, (byte)' ', 1);
    public static readonly DicomVR UC = new("UC", DicomValueKind.Text, true, (byte)' ', 1, characterSetText: true);
    public static readonly DicomVR UI = new("UI", DicomValueKind.Text, false, 0, 1);
    public static readonly DicomVR UL = new("UL", DicomValueKind.Binary, false, 0, 4);
    public static readonly DicomVR UN = new("UN", DicomValueKind.Binary, true, 0, 1);
    public static readonly DicomVR UR = new("UR", DicomValueKind.Text, true, (byte)' ', 1, multiValueText: false);
    public static readonly DicomVR US = new("US", DicomValueKind.Binary, false, 0, 2);
    public static readonly DicomVR UT = new("UT", DicomValueKind.Text, true, (byte)' ', 1, multiValueText: false, characterSetText: true);
    public static readonly DicomVR UV = new("UV", DicomValueKind.Binary, true, 0, 8);

    /// <summary>Every VR of the current standard.</summary>
    public static IReadOnlyList<DicomVR> All { get; } =
    [
        AE, AS, AT, CS, DA, DS, DT, FD, FL, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV,
    ];

    /// <summary>Looks up the VR from its two ASCII bytes as they appear in an explicit VR element header.</summary>
    public static bool TryParse(byte first, byte second, out DicomVR vr)
    {
        DicomVR? found = (first << 8 | second) switch
        {
            'A' << 8 | 'E' => AE,
            'A' << 8 | 'S' => AS,
            'A' << 8 | 'T' => AT,
            'C' << 8 | 'S' => CS,
            'D' << 8 | 'A' => DA,
            'D' << 8 | 'S' => DS,
            'D' << 8 | 'T' => DT,
            'F' << 8 | 'D' => FD,
            'F' << 8 | 'L' => FL,
            'I' << 8 | 'S' => IS,
            'L' << 8 | 'O' => LO,
            'L' << 8 | 'T' => LT,
            'O' << 8 | 'B' => OB,
            'O' << 8 | 'D' => OD,
            'O' << 8 | 'F' => OF,
            'O' << 8 | 'L' => OL,
            'O' << 8 | 'V' => OV,
            'O' << 8 | 'W' => OW,
            'P' << 8 | 'N' => PN,
            'S' << 8 | 'H' => SH,
            'S' << 8 | 'L' => SL,
            'S' << 8 | 'Q' => SQ,
            'S' << 8 | 'S' => SS,
            'S' << 8 | 'T' => ST,
            'S' << 8 | 'V' => SV,
            'T' << 8 | 'M' => TM,
            'U' << 8 | 'C' => UC,
            'U' << 8 | 'I' => UI,
            'U' << 8 | 'L' => UL,
            'U' << 8 | 'N' => UN,
            'U' << 8 | 'R' => UR,
            'U' << 8 | 'S' => US,
            'U' << 8 | 'T' => UT,
            'U' << 8 | 'V' => UV,
            _ => null,
        };
        vr = found!;
        return found is not null;
    }

    public static DicomVR Parse(string code)
    {
        if (code is { Length: 2 } && TryParse((byte)code[0], (byte)code[1], out var vr))
        {
            return vr;
        }

        throw new ArgumentException($"'{code}' is not a DICOM value representation.", nameof(code));
    }
}
