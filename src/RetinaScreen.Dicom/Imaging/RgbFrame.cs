namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// One decoded frame as 8-bit RGB, interleaved (R,G,B per pixel, rows top to bottom).
/// This is the shape every consumer of pixels (the models, the portal's previews, the synthesiser) agrees on.
/// </summary>
public sealed record RgbFrame(int Width, int Height, byte[] Pixels)
{
    public int Stride => Width * 3;
}
