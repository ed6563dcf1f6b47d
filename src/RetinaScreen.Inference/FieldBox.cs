using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference;

/// <summary>
/// The square field crop the model saw (and its heatmap covers), in full-resolution photograph pixels: X and Y of its
/// top left corner, which may be negative, and its size. It may reach past the photograph's edges.
/// </summary>
public sealed record FieldBox(int X, int Y, int Width, int Height)
{
    /// <summary>
    /// The crop box of <paramref name="decoded"/>, scaled to the photograph's full size. A large photograph may have been
    /// decoded reduced by 2, 4 or 8 (each decoded pixel covering that many photograph pixels each way, the last one
    /// partly), so the factor is the ratio of the sizes rounded to a whole number.
    /// </summary>
    public static FieldBox Of(RgbFrame decoded, int fullWidth, int fullHeight)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        var (left, top, side) = FundusPreprocessor.CropSquare(decoded);
        var reduction = Math.Max(1, (int)Math.Round(Math.Max(fullWidth / (double)decoded.Width, fullHeight / (double)decoded.Height)));
        var size = side * reduction;
        return new FieldBox((int)Math.Round(left * reduction), (int)Math.Round(top * reduction), size, size);
    }
}
