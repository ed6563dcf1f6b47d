namespace RetinaScreen.Dicom.Imaging;

/// <summary>Full-range YCbCr (ITU-R BT.601 as used by JFIF and DICOM YBR_FULL, PS3.3 C.7.6.3.1.2) to and from RGB.</summary>
internal static class YcbcrConversion
{
    public static void ToRgb(byte y, byte cb, byte cr, Span<byte> rgb)
    {
        double cbd = cb - 128.0, crd = cr - 128.0;
        rgb[0] = Clamp(y + 1.402 * crd);
        rgb[1] = Clamp(y - 0.344136 * cbd - 0.714136 * crd);
        rgb[2] = Clamp(y + 1.772 * cbd);
    }

    public static void RgbToYcbcrInPlace(Span<byte> pixels)
    {
        for (var i = 0; i + 2 < pixels.Length; i += 3)
        {
            double r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
            pixels[i] = Clamp(0.299 * r + 0.587 * g + 0.114 * b);
            pixels[i + 1] = Clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
            pixels[i + 2] = Clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
        }
    }

    public static byte Clamp(double value) => value <= 0 ? (byte)0 : value >= 255 ? (byte)255 : (byte)(value + 0.5);
}
