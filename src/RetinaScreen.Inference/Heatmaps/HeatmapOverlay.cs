using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using RetinaScreen.Dicom.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Inference.Heatmaps;

/// <summary>
/// Renders a class activation map as a PNG overlay on the field crop the model saw (256 px): what a grader opens beside the
/// photograph to see where the model found evidence of referable DR.
/// </summary>
public static class HeatmapOverlay
{
    /// <summary>
    /// Stored (uncompressed) deflate, rows unfiltered: the overlay is made for every graded photograph, and at 256 px
    /// ImageSharp's deflate cost more per image than the reference model's own run (about 1 ms). Measured in one process
    /// on the benchmark's overlays (bench --png-options, docs/benchmarks.md): level 1 with its default filter 4.7 ms and
    /// 82 KiB; level 1 with Up or Sub filters about the same; level 0, no filter 0.5–0.6 ms and 192 KiB; .NET's zlib at
    /// Fastest on Sub-filtered rows (a hand-written PNG container) 1.6–1.7 ms and 116 KiB. 192 KiB beside a 2–20 MB photograph
    /// is nothing to the object store or a grader's browser, and PNG stays lossless either way, so the grader sees the same
    /// pixels; ImageSharp keeps writing the container (no hand-written codec).
    /// </summary>
    private static readonly PngEncoder Encoder = new()
    {
        CompressionLevel = PngCompressionLevel.NoCompression,
        FilterMethod = PngFilterMethod.None,
        ColorType = PngColorType.Rgb,
        BitDepth = PngBitDepth.Bit8,
    };

    /// <summary>CAM values are logit contributions; dividing by at least this keeps a clean eye's faint evidence faint
    /// instead of stretching noise to full colour.</summary>
    private const float MinScale = 1f;

    /// <summary>The overlay on <paramref name="crop"/> (the square field crop the model saw, any size) as PNG bytes.</summary>
    public static byte[] RenderPng(RgbFrame crop, float[] cam, int camSize)
    {
        return EncodePng(Render(crop, cam, camSize));
    }

    /// <summary>An already drawn overlay (or any RGB frame) as PNG bytes.</summary>
    public static byte[] EncodePng(RgbFrame overlay)
    {
        ArgumentNullException.ThrowIfNull(overlay);
        using var image = Image.LoadPixelData<Rgb24>(overlay.Pixels, overlay.Width, overlay.Height);
        // Sized for the stored image up front (rows plus their filter bytes, and room for headers), so the stream
        // does not grow through copies of a large buffer.
        using var png = new MemoryStream(overlay.Height * (overlay.Width * 3 + 1) + 4096);
        image.SaveAsPng(png, Encoder);
        return png.ToArray();
    }

    /// <summary>The class activation map, upsampled bilinearly to the crop and blended over it in <see cref="Colour"/>.</summary>
    /// <remarks>
    /// Drawn for every graded photograph, so eight pixels go at a time through 256-bit vectors. Every lane does the
    /// scalar loop's arithmetic in the scalar loop's order (the per-pixel loop is kept for the row's tail and for
    /// machines without 256-bit vectors), so the overlay is the same bytes either way.
    /// </remarks>
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
        // Cell centres sit at (i + 0.5) · size / camSize: bilinear between them, clamped at the borders. The horizontal
        // half of the interpolation depends only on the column and the CAM row, so each CAM row is interpolated across
        // the width once; a pixel's value is then the vertical mix of two such rows (the same products and sums, in the
        // same order, as interpolating pixel by pixel).
        var across = new float[camSize * size];
        for (var x = 0; x < size; x++)
        {
            var cx = Math.Clamp((x + 0.5f) * camSize / size - 0.5f, 0, camSize - 1);
            var x0 = (int)cx;
            var x1 = Math.Min(camSize - 1, x0 + 1);
            var fx = cx - x0;
            for (var row = 0; row < camSize; row++)
            {
                across[row * size + x] = (1 - fx) * cam[row * camSize + x0] + fx * cam[row * camSize + x1];
            }
        }

        for (var y = 0; y < size; y++)
        {
            var cy = Math.Clamp((y + 0.5f) * camSize / size - 0.5f, 0, camSize - 1);
            var y0 = (int)cy;
            var y1 = Math.Min(camSize - 1, y0 + 1);
            var fy = cy - y0;
            var upper = across.AsSpan(y0 * size, size);
            var lower = across.AsSpan(y1 * size, size);
            var rowStart = y * size * 3;
            var x = Vector256.IsHardwareAccelerated ? BlendEight(upper, lower, fy, max, pixels, output, rowStart) : 0;
            for (; x < size; x++)
            {
                var value = (1 - fy) * upper[x] + fy * lower[x];
                var v = Math.Clamp(value / max, 0f, 1f);
                var i = rowStart + x * 3;
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

    /// <summary>
    /// One row's pixels eight at a time, as the per-pixel loop in <see cref="Render"/> draws them; returns the first
    /// pixel left for that loop. The ramp and the blend weights come out per pixel (planar) and the photograph is
    /// interleaved RGB, so they are spread to its layout by lane permutations: lane L of the 24 channel values of eight
    /// pixels belongs to pixel L / 3 and channel L mod 3.
    /// </summary>
    private static int BlendEight(ReadOnlySpan<float> upper, ReadOnlySpan<float> lower, float fy, float max, byte[] pixels, byte[] output, int rowStart)
    {
        var size = upper.Length;
        var toLower = Vector256.Create(fy);
        var toUpper = Vector256.Create(1 - fy);
        var scale = Vector256.Create(max);
        var zero = Vector256<float>.Zero;
        var one = Vector256<float>.One;
        var four = Vector256.Create(4f);
        var full = Vector256.Create(255f);
        var x = 0;
        // Each step stores 32 bytes for its 24: the spare 8 are the next pixels', written properly by the next step,
        // so the last step of the last row is left to the per-pixel loop rather than written past the end.
        for (; x + 8 <= size && rowStart + x * 3 + 32 <= output.Length; x += 8)
        {
            var value = toUpper * Vector256.Create(upper.Slice(x, 8)) + toLower * Vector256.Create(lower.Slice(x, 8));
            var v = Vector256.Min(Vector256.Max(value / scale, zero), one);
            var alpha = Vector256.Create(0.6f) * v;
            var keep = one - alpha;
            var red = full * Vector256.Min(Vector256.Max(Vector256.Create(1.5f) - Vector256.Abs(four * v - Vector256.Create(3f)), zero), one) * alpha;
            var green = full * Vector256.Min(Vector256.Max(Vector256.Create(1.5f) - Vector256.Abs(four * v - Vector256.Create(2f)), zero), one) * alpha;
            var blue = full * Vector256.Min(Vector256.Max(Vector256.Create(1.5f) - Vector256.Abs(four * v - Vector256.Create(1f)), zero), one) * alpha;

            var i = rowStart + x * 3;
            var p0 = Photograph(pixels, i);
            var p1 = Photograph(pixels, i + 8);
            var p2 = Photograph(pixels, i + 16);
            var first = Vector256.Create(0, 0, 0, 1, 1, 1, 2, 2);
            var second = Vector256.Create(2, 3, 3, 3, 4, 4, 4, 5);
            var third = Vector256.Create(5, 5, 6, 6, 6, 7, 7, 7);
            var o0 = p0 * Vector256.Shuffle(keep, first) + Interleave(red, green, blue, first, Vector256.Create(0, 1, 2, 0, 1, 2, 0, 1));
            var o1 = p1 * Vector256.Shuffle(keep, second) + Interleave(red, green, blue, second, Vector256.Create(2, 0, 1, 2, 0, 1, 2, 0));
            var o2 = p2 * Vector256.Shuffle(keep, third) + Interleave(red, green, blue, third, Vector256.Create(1, 2, 0, 1, 2, 0, 1, 2));
            var words = Vector256.Narrow(
                Vector256.Narrow(Vector256.ConvertToInt32(o0), Vector256.ConvertToInt32(o1)),
                Vector256.Narrow(Vector256.ConvertToInt32(o2), Vector256<int>.Zero));
            words.AsByte().CopyTo(output.AsSpan(i, 32));
        }

        return x;
    }

    /// <summary>Eight channel values from byte <paramref name="index"/> of the photograph, as floats.</summary>
    private static Vector256<float> Photograph(byte[] pixels, int index)
    {
        var bytes = Vector128.CreateScalar(BinaryPrimitives.ReadUInt64LittleEndian(pixels.AsSpan(index, 8))).AsByte();
        return Vector256.ConvertToSingle(Vector256.WidenLower(Vector128.WidenLower(bytes).ToVector256()).AsInt32());
    }

    /// <summary>Channel values of eight pixels, planar, laid out as interleaved lanes: each lane takes its pixel (by
    /// <paramref name="pixel"/>) from the plane its channel (0, 1, 2) names.</summary>
    private static Vector256<float> Interleave(Vector256<float> red, Vector256<float> green, Vector256<float> blue, Vector256<int> pixel, Vector256<int> channel) =>
        Vector256.ConditionalSelect(
            Vector256.Equals(channel, Vector256<int>.Zero).AsSingle(),
            Vector256.Shuffle(red, pixel),
            Vector256.ConditionalSelect(Vector256.Equals(channel, Vector256<int>.One).AsSingle(), Vector256.Shuffle(green, pixel), Vector256.Shuffle(blue, pixel)));

    /// <summary>A blue–cyan–yellow–red ramp: the usual reading of "cold" to "hot" (slide heatmaps use it too).</summary>
    internal static (float R, float G, float B) Colour(float v)
    {
        var r = Math.Clamp(1.5f - Math.Abs(4 * v - 3), 0, 1);
        var g = Math.Clamp(1.5f - Math.Abs(4 * v - 2), 0, 1);
        var b = Math.Clamp(1.5f - Math.Abs(4 * v - 1), 0, 1);
        return (255 * r, 255 * g, 255 * b);
    }
}
