using System.Buffers;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Grading;

namespace RetinaScreen.Inference.Tests;

/// <summary>
/// The reference for <see cref="FundusPreprocessor"/>: its scalar implementation as it stood before it was vectorised
/// (commit cefb8e4), copied unchanged but for the class name. Training crops were made with this code, so the shipped
/// preprocessor is held to it: the same field box, crops within one grey level, the same normalised floats.
/// </summary>
internal static class ReferenceFundusPreprocessor
{
    public const int InputSize = FundusPreprocessor.InputSize;

    public const int FieldThreshold = FundusPreprocessor.FieldThreshold;

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
    /// <remarks>
    /// Each output pixel is the mean of k×k bilinear taps (k = the downscale factor, rounded), so thin vessels and small
    /// lesions are averaged, not skipped; outside the frame counts as black, like the camera's mask around the field.
    /// Bilinear taps on a regular grid are separable, so the same sum is computed as one horizontal pass over the
    /// source rows and one vertical pass over those sums, with each axis's taps merged into a short weight kernel per
    /// output column (row). That is the sum the per-pixel definition gives, in a different order: outputs agree with it
    /// to within one grey level (float rounding), and it costs a few milliseconds instead of tens.
    /// </remarks>
    public static RgbFrame Crop(RgbFrame frame, int size = InputSize)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var (x0, y0, x1, y1) = FindField(frame);
        var side = Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        var left = (x0 + x1 + 1) / 2.0 - side / 2.0;
        var top = (y0 + y1 + 1) / 2.0 - side / 2.0;
        var scale = side / (double)size;
        var taps = Math.Max(1, (int)Math.Round(scale));
        var w = frame.Width;
        var h = frame.Height;

        var columns = TapKernel.Build(left, scale, taps, size, w);
        var rows = TapKernel.Build(top, scale, taps, size, h);
        var (firstRow, lastRow) = rows.SourceRange();
        var output = new byte[size * size * 3];
        if (firstRow > lastRow)
        {
            return new RgbFrame(size, size, output);
        }

        // Horizontal pass: each needed source row resampled to the output width (float, RGB interleaved).
        var rowCount = lastRow - firstRow + 1;
        var stride = size * 3;
        var horizontal = ArrayPool<float>.Shared.Rent(rowCount * stride);
        try
        {
            var src = frame.Pixels;
            for (var y = firstRow; y <= lastRow; y++)
            {
                var srcRow = y * w * 3;
                var dstRow = (y - firstRow) * stride;
                for (var ox = 0; ox < size; ox++)
                {
                    var (start, count, offset) = columns.Kernel(ox);
                    float r = 0, g = 0, b = 0;
                    for (var k = 0; k < count; k++)
                    {
                        var weight = columns.Weights[offset + k];
                        var i = srcRow + (start + k) * 3;
                        r += weight * src[i];
                        g += weight * src[i + 1];
                        b += weight * src[i + 2];
                    }

                    var o = dstRow + ox * 3;
                    horizontal[o] = r;
                    horizontal[o + 1] = g;
                    horizontal[o + 2] = b;
                }
            }

            // Vertical pass: each output row as a weighted sum of the horizontal rows.
            Span<float> sum = stackalloc float[stride];
            for (var oy = 0; oy < size; oy++)
            {
                sum.Clear();
                var (start, count, offset) = rows.Kernel(oy);
                for (var k = 0; k < count; k++)
                {
                    var weight = rows.Weights[offset + k];
                    var line = horizontal.AsSpan((start + k - firstRow) * stride, stride);
                    for (var j = 0; j < stride; j++)
                    {
                        sum[j] += weight * line[j];
                    }
                }

                var outRow = oy * stride;
                for (var j = 0; j < stride; j++)
                {
                    output[outRow + j] = (byte)Math.Clamp((int)(sum[j] + 0.5f), 0, 255);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(horizontal);
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

    /// <summary>
    /// One axis of the resampling: for each output position, the merged weights of its k bilinear taps over a run of
    /// consecutive source indices (taps outside the frame dropped: they sample black). Weights include the 1/k of the mean.
    /// </summary>
    private sealed class TapKernel
    {
        private readonly int[] _starts;
        private readonly int[] _counts;
        private readonly int[] _offsets;

        private TapKernel(int[] starts, int[] counts, int[] offsets, float[] weights)
        {
            _starts = starts;
            _counts = counts;
            _offsets = offsets;
            Weights = weights;
        }

        public float[] Weights { get; }

        public (int Start, int Count, int Offset) Kernel(int output) => (_starts[output], _counts[output], _offsets[output]);

        /// <summary>The lowest and highest source index any output position reads (first &gt; last when none does).</summary>
        public (int First, int Last) SourceRange()
        {
            var first = int.MaxValue;
            var last = int.MinValue;
            for (var i = 0; i < _starts.Length; i++)
            {
                if (_counts[i] > 0)
                {
                    first = Math.Min(first, _starts[i]);
                    last = Math.Max(last, _starts[i] + _counts[i] - 1);
                }
            }

            return (first, last);
        }

        public static TapKernel Build(double origin, double scale, int taps, int size, int extent)
        {
            var starts = new int[size];
            var counts = new int[size];
            var offsets = new int[size];
            var weights = new List<float>(size * (taps + 2));
            var span = new Dictionary<int, float>(taps * 2);
            for (var o = 0; o < size; o++)
            {
                span.Clear();
                for (var t = 0; t < taps; t++)
                {
                    var position = origin + (o + (t + 0.5) / taps) * scale - 0.5;
                    var floor = Math.Floor(position);
                    var fraction = (float)(position - floor);
                    var index = (int)floor;
                    Add(span, index, (1 - fraction) / taps, extent);
                    Add(span, index + 1, fraction / taps, extent);
                }

                offsets[o] = weights.Count;
                if (span.Count == 0)
                {
                    continue;
                }

                var lo = int.MaxValue;
                var hi = int.MinValue;
                foreach (var index in span.Keys)
                {
                    lo = Math.Min(lo, index);
                    hi = Math.Max(hi, index);
                }

                starts[o] = lo;
                counts[o] = hi - lo + 1;
                for (var index = lo; index <= hi; index++)
                {
                    weights.Add(span.GetValueOrDefault(index));
                }
            }

            return new TapKernel(starts, counts, offsets, [.. weights]);
        }

        private static void Add(Dictionary<int, float> span, int index, float weight, int extent)
        {
            if (index >= 0 && index < extent && weight != 0)
            {
                span[index] = span.GetValueOrDefault(index) + weight;
            }
        }
    }
}
