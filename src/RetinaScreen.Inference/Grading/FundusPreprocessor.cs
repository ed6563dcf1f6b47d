using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Inference.Grading;

/// <summary>
/// Turns a camera frame into the model's input: find the circular fundus field against the dark background, crop a
/// square around it, and resample to <see cref="InputSize"/> with area-aware bilinear sampling.
/// Training images are produced by this same code (training/SynthExport), so there is no train/serve skew.
/// </summary>
public static class FundusPreprocessor
{
    public const int InputSize = 256;

    /// <summary>A pixel whose brightest channel exceeds this belongs to the field; camera backgrounds sit well below.</summary>
    public const int FieldThreshold = 20;

    /// <summary>The bounding box of the fundus field (inclusive pixel bounds), or the whole frame when none is found.</summary>
    public static (int X0, int Y0, int X1, int Y1) FindField(RgbFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var w = frame.Width;
        var h = frame.Height;
        var px = frame.Pixels;
        var rowCounts = new int[h];
        var colCounts = new int[w];
        for (var y = 0; y < h; y++)
        {
            var row = y * w * 3;
            for (var x = 0; x < w; x++)
            {
                var i = row + x * 3;
                if (px[i] > FieldThreshold || px[i + 1] > FieldThreshold || px[i + 2] > FieldThreshold)
                {
                    rowCounts[y]++;
                    colCounts[x]++;
                }
            }
        }

        // A row or column counts only with a few field pixels in it, so isolated hot pixels do not stretch the box.
        var minRow = Math.Max(2, w / 200);
        var minCol = Math.Max(2, h / 200);
        var y0 = Array.FindIndex(rowCounts, c => c >= minRow);
        var y1 = Array.FindLastIndex(rowCounts, c => c >= minRow);
        var x0 = Array.FindIndex(colCounts, c => c >= minCol);
        var x1 = Array.FindLastIndex(colCounts, c => c >= minCol);
        return y0 < 0 || x0 < 0 || (x1 - x0) < w / 8 || (y1 - y0) < h / 8 ? (0, 0, w - 1, h - 1) : (x0, y0, x1, y1);
    }

    /// <summary>The square field crop at <see cref="InputSize"/>, as 8-bit RGB.</summary>
    public static RgbFrame Crop(RgbFrame frame, int size = InputSize)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var (x0, y0, x1, y1) = FindField(frame);
        var side = Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        var left = (x0 + x1 + 1) / 2.0 - side / 2.0;
        var top = (y0 + y1 + 1) / 2.0 - side / 2.0;
        var scale = side / (double)size;
        // Downscaling by k samples k×k bilinear taps per output pixel, so thin vessels and small lesions are averaged, not skipped.
        var taps = Math.Max(1, (int)Math.Round(scale));
        var output = new byte[size * size * 3];
        var src = frame.Pixels;
        var w = frame.Width;
        var h = frame.Height;
        Span<float> acc = stackalloc float[3];
        for (var oy = 0; oy < size; oy++)
        {
            for (var ox = 0; ox < size; ox++)
            {
                acc.Clear();
                for (var ty = 0; ty < taps; ty++)
                {
                    var sy = top + (oy + (ty + 0.5) / taps) * scale - 0.5;
                    for (var tx = 0; tx < taps; tx++)
                    {
                        var sx = left + (ox + (tx + 0.5) / taps) * scale - 0.5;
                        Bilinear(src, w, h, sx, sy, acc);
                    }
                }

                var o = (oy * size + ox) * 3;
                var n = 1f / (taps * taps);
                output[o] = (byte)Math.Clamp((int)(acc[0] * n + 0.5f), 0, 255);
                output[o + 1] = (byte)Math.Clamp((int)(acc[1] * n + 0.5f), 0, 255);
                output[o + 2] = (byte)Math.Clamp((int)(acc[2] * n + 0.5f), 0, 255);
            }
        }

        return new RgbFrame(size, size, output);
    }

    /// <summary>Writes the crop as planar, normalised float32 (CHW) into <paramref name="destination"/>.</summary>
    public static void Normalise(RgbFrame crop, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(crop);
        var plane = crop.Width * crop.Height;
        if (destination.Length < plane * 3 || mean.Length != 3 || std.Length != 3)
        {
            throw new ArgumentException("Destination must hold 3×H×W floats and mean/std three channels.", nameof(destination));
        }

        var px = crop.Pixels;
        for (var c = 0; c < 3; c++)
        {
            var m = mean[c];
            var s = 1f / std[c];
            var dst = destination.Slice(c * plane, plane);
            for (var i = 0; i < plane; i++)
            {
                dst[i] = (px[i * 3 + c] / 255f - m) * s;
            }
        }
    }

    private static void Bilinear(byte[] src, int w, int h, double x, double y, Span<float> acc)
    {
        var xf = Math.Floor(x);
        var yf = Math.Floor(y);
        var fx = (float)(x - xf);
        var fy = (float)(y - yf);
        var x0 = (int)xf;
        var y0 = (int)yf;
        for (var c = 0; c < 3; c++)
        {
            var a = Sample(src, w, h, x0, y0, c);
            var b = Sample(src, w, h, x0 + 1, y0, c);
            var d = Sample(src, w, h, x0, y0 + 1, c);
            var e = Sample(src, w, h, x0 + 1, y0 + 1, c);
            acc[c] += (a + (b - a) * fx) * (1 - fy) + (d + (e - d) * fx) * fy;
        }
    }

    /// <summary>Outside the frame is black, like the camera's mask around the field.</summary>
    private static float Sample(byte[] src, int w, int h, int x, int y, int c)
        => x < 0 || y < 0 || x >= w || y >= h ? 0f : src[(y * w + x) * 3 + c];
}
