using System.Globalization;
using System.Numerics;

namespace RetinaScreen.Dicom;

/// <summary>Creates UIDs under the 2.25 root from random UUIDs (PS3.5 B.2, ISO/IEC 9834-8), so no registered root is needed.</summary>
public static class DicomUidGenerator
{
    public static string NewUid() => FromGuid(Guid.NewGuid());

    public static string FromGuid(Guid guid)
    {
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        return "2.25." + value.ToString(CultureInfo.InvariantCulture);
    }
}
