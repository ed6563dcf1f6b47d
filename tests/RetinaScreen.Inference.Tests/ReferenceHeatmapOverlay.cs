using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Heatmaps;

namespace RetinaScreen.Inference.Tests;

/// <summary>
/// The reference for <see cref="HeatmapOverlay.Render"/>: its per-pixel loop as it stood before it was vectorised
/// (commit cefb8e4), copied unchanged but for the class name; the overlay must stay these bytes.
/// </summary>
internal static class ReferenceHeatmapOverlay
{
    private const float MinScale = 1f;

    public static RgbFrame Render(RgbFrame crop, float[] cam, int camSize)
    {
        ArgumentNullException.ThrowIfNull(crop);
        ArgumentNullException.ThrowIfNull(cam);
        if (crop.Width != crop.Height)
        {
            throw new ArgumentException("The overlay is drawn on the square field crop.", nameof(crop));
        }

        if (camSize <= 0 || cam.Length != camSize * camSize)
        {
            throw new ArgumentException($"A CAM of {camSize}×{camSize} needs {camSize * camSize} values, got {cam.Length}.", nameof(cam));
        }

        var size = crop.Width;
        var max = MinScale;
        foreach (var v in cam)
        {
            max = Math.Max(max, v);
        }

        var pixels = crop.Pixels;
        var output = new byte[pixels.Length];
        // Cell centres sit at (i + 0.5) · size / camSize: bilinear between them, clamped at the borders. The same
        // taps serve every row, so each column's are worked out once (same arithmetic, so the same bytes).
        var taps0 = new int[size];
        var taps1 = new int[size];
        var fractions = new float[size];
        for (var x = 0; x < size; x++)
        {
            var cx = Math.Clamp((x + 0.5f) * camSize / size - 0.5f, 0, camSize - 1);
            taps0[x] = (int)cx;
            taps1[x] = Math.Min(camSize - 1, taps0[x] + 1);
            fractions[x] = cx - taps0[x];
        }

        for (var y = 0; y < size; y++)
        {
            var cy = Math.Clamp((y + 0.5f) * camSize / size - 0.5f, 0, camSize - 1);
            var y0 = (int)cy;
            var y1 = Math.Min(camSize - 1, y0 + 1);
            var fy = cy - y0;
            for (var x = 0; x < size; x++)
            {
                var x0 = taps0[x];
                var x1 = taps1[x];
                var fx = fractions[x];
                var value = (1 - fy) * ((1 - fx) * cam[y0 * camSize + x0] + fx * cam[y0 * camSize + x1])
                          + fy * ((1 - fx) * cam[y1 * camSize + x0] + fx * cam[y1 * camSize + x1]);
                var v = Math.Clamp(value / max, 0f, 1f);
                var i = (y * size + x) * 3;
                var (r, g, b) = Colour(v);
                // Only positive evidence is coloured; the photograph shows through everywhere.
                var alpha = 0.6f * v;
                output[i] = (byte)(pixels[i] * (1 - alpha) + r * alpha);
                output[i + 1] = (byte)(pixels[i + 1] * (1 - alpha) + g * alpha);
                output[i + 2] = (byte)(pixels[i + 2] * (1 - alpha) + b * alpha);
            }
        }

        return new RgbFrame(size, size, output);
    }

    /// <summary>A blue–cyan–yellow–red ramp: the usual reading of "cold" to "hot" (slide heatmaps use it too).</summary>
    private static (float R, float G, float B) Colour(float v)
    {
        var r = Math.Clamp(1.5f - Math.Abs(4 * v - 3), 0, 1);
        var g = Math.Clamp(1.5f - Math.Abs(4 * v - 2), 0, 1);
        var b = Math.Clamp(1.5f - Math.Abs(4 * v - 1), 0, 1);
        return (255 * r, 255 * g, 255 * b);
    }
}
