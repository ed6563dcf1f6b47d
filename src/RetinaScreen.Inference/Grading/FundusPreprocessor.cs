using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Inference.Grading;

/// <summary>
/// Turns a camera frame into the model's input: find the circular fundus field against the dark background, crop a
/// square around it, and resample to <see cref="InputSize"/> with area-aware bilinear sampling.
/// Training images are produced by this same code (training/SynthExport), so there is no train/serve skew.
/// </summary>
/// <remarks>
/// Every photograph passes through here before the model (about 1.4 ms a run on two CPU cores), so the loops are
/// vectorised: written for scalar code they cost more than the model itself. Each vector lane does exactly what the
/// scalar tail does, in the same order, so the results do not depend on the machine's vector width.
/// </remarks>
public static class FundusPreprocessor
{
    public const int InputSize = 256;

    /// <summary>A pixel whose brightest channel exceeds this belongs to the field; camera backgrounds sit well below.</summary>
    public const int FieldThreshold = 20;

    /// <summary>The bounding box of the fundus field (inclusive pixel bounds), or the whole frame when none is found.</summary>
    /// <remarks>
    /// The box is the first and last rows with at least minRow field pixels and the first and last columns with at
    /// least minCol. Only those four need finding, so rows are counted inward from the top and bottom and columns inward
    /// from the sides, stopping at the first that qualifies: on a photograph only the dark margins are read twice, where
    /// counting every pixel read a 3000-pixel camera frame (27 MB) once more than the crop itself does.
    /// </remarks>
    public static (int X0, int Y0, int X1, int Y1) FindField(RgbFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var w = frame.Width;
        var h = frame.Height;
        var px = frame.Pixels;
        var whole = (0, 0, w - 1, h - 1);

        // A row or column counts only with a few field pixels in it, so isolated hot pixels do not stretch the box.
        var minRow = Math.Max(2, w / 200);
        var minCol = Math.Max(2, h / 200);
        var y0 = 0;
        while (y0 < h && FieldPixelsInRow(px, y0 * w * 3, w) < minRow)
        {
            y0++;
        }

        if (y0 == h)
        {
            return whole;
        }

        var y1 = h - 1;
        while (FieldPixelsInRow(px, y1 * w * 3, w) < minRow)
        {
            y1--;
        }

        var x0 = FieldColumn(px, w, h, minCol, fromLeft: true);
        if (x0 < 0)
        {
            return whole;
        }

        var x1 = FieldColumn(px, w, h, minCol, fromLeft: false);
        return (x1 - x0) < w / 8 || (y1 - y0) < h / 8 ? whole : (x0, y0, x1, y1);
    }

    /// <summary>
    /// The square the model sees, in <paramref name="frame"/>'s pixels: centred on the field's bounding box, as wide as
    /// its longer side. It may reach past the frame's edges (that part is black in the crop).
    /// </summary>
    public static (double Left, double Top, int Side) CropSquare(RgbFrame frame)
    {
        var (x0, y0, x1, y1) = FindField(frame);
        var side = Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        return ((x0 + x1 + 1) / 2.0 - side / 2.0, (y0 + y1 + 1) / 2.0 - side / 2.0, side);
    }

    /// <summary>The square field crop at <see cref="InputSize"/>, as 8-bit RGB.</summary>
    /// <remarks>
    /// Each output pixel is the mean of k×k bilinear taps (k = the downscale factor, rounded), so thin vessels and small
    /// lesions are averaged, not skipped; outside the frame counts as black, like the camera's mask around the field.
    /// Bilinear taps on a regular grid are separable, so the same sum is computed as one pass down the source columns
    /// and one across, with each axis's taps merged into a short weight kernel per output row (column). The vertical
    /// pass goes first: it is a weighted sum of whole source rows, where consecutive bytes are consecutive in memory and
    /// vectorise as they are, and it leaves only one row of the output's height for the horizontal kernels to read.
    /// That is the sum the per-pixel definition gives, in a different order: outputs agree with it, and with the
    /// horizontal-first order that made the earlier training crops, to within one grey level (float rounding; on the
    /// test photographs at most one value in 10⁵ moves). The scalar horizontal-first passes cost 3.3 ms for a 768-pixel
    /// photograph and 31 ms for a 3000-pixel one on the benchmark's two-core Xeon.
    /// </remarks>
    public static RgbFrame Crop(RgbFrame frame, int size = InputSize)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var (left, top, side) = CropSquare(frame);
        var scale = side / (double)size;
        var taps = Math.Max(1, (int)Math.Round(scale));
        var w = frame.Width;
        var h = frame.Height;

        var columns = TapKernel.Build(left, scale, taps, size, w);
        var rows = TapKernel.Build(top, scale, taps, size, h);
        var (firstColumn, lastColumn) = columns.SourceRange();
        var (firstRow, lastRow) = rows.SourceRange();
        var stride = size * 3;
        var output = new byte[size * stride];
        if (firstRow > lastRow || firstColumn > lastColumn)
        {
            return new RgbFrame(size, size, output);
        }

        // One float row of the source's width (the columns the kernels read) per output row, then one of the output's
        // width. Each has one float of slack: the horizontal pass moves a pixel's three channels as one 4-lane vector.
        var sourceValues = (lastColumn - firstColumn + 1) * 3;
        var vertical = ArrayPool<float>.Shared.Rent(sourceValues + 1);
        var horizontal = ArrayPool<float>.Shared.Rent(stride + 1);
        try
        {
            vertical[sourceValues] = 0;
            horizontal[stride] = 0;
            var src = frame.Pixels;
            for (var oy = 0; oy < size; oy++)
            {
                var (start, count, offset) = rows.Kernel(oy);
                if (count == 0)
                {
                    continue; // the row lies wholly outside the frame: black, as the array already is
                }

                SumRows(src, w * 3, start, rows.Weights.AsSpan(offset, count), firstColumn * 3, vertical.AsSpan(0, sourceValues));
                SumColumns(vertical, columns, firstColumn, horizontal);
                RoundToBytes(horizontal.AsSpan(0, stride), output.AsSpan(oy * stride, stride));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vertical);
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
        var red = destination[..plane];
        var green = destination.Slice(plane, plane);
        var blue = destination.Slice(2 * plane, plane);
        var (mr, mg, mb) = (mean[0], mean[1], mean[2]);
        var (sr, sg, sb) = (1f / std[0], 1f / std[1], 1f / std[2]);
        var i = 0;

        // Sixteen pixels at a time: three 16-byte loads, each channel gathered into one vector by three shuffles.
        for (; i + 16 <= plane; i += 16)
        {
            var a = Vector128.Create(px.AsSpan(i * 3, 16));
            var b = Vector128.Create(px.AsSpan(i * 3 + 16, 16));
            var c = Vector128.Create(px.AsSpan(i * 3 + 32, 16));
            NormaliseChannel(Deinterleave.Red(a, b, c), mr, sr, red.Slice(i, 16));
            NormaliseChannel(Deinterleave.Green(a, b, c), mg, sg, green.Slice(i, 16));
            NormaliseChannel(Deinterleave.Blue(a, b, c), mb, sb, blue.Slice(i, 16));
        }

        for (; i < plane; i++)
        {
            red[i] = (px[i * 3] / 255f - mr) * sr;
            green[i] = (px[i * 3 + 1] / 255f - mg) * sg;
            blue[i] = (px[i * 3 + 2] / 255f - mb) * sb;
        }
    }

    /// <summary>Sixteen bytes of one channel as (v / 255 − mean) / std, the scalar loop's arithmetic lane by lane.</summary>
    private static void NormaliseChannel(Vector128<byte> values, float mean, float inverseStd, Span<float> destination)
    {
        var (low, high) = Vector128.Widen(values);
        var (v0, v1) = Vector128.Widen(low);
        var (v2, v3) = Vector128.Widen(high);
        var m = Vector128.Create(mean);
        var s = Vector128.Create(inverseStd);
        var scale = Vector128.Create(255f);
        ((Vector128.ConvertToSingle(v0) / scale - m) * s).CopyTo(destination);
        ((Vector128.ConvertToSingle(v1) / scale - m) * s).CopyTo(destination[4..]);
        ((Vector128.ConvertToSingle(v2) / scale - m) * s).CopyTo(destination[8..]);
        ((Vector128.ConvertToSingle(v3) / scale - m) * s).CopyTo(destination[12..]);
    }

    /// <summary>How many pixels of the row starting at byte <paramref name="rowStart"/> have a channel above the threshold.</summary>
    private static int FieldPixelsInRow(byte[] px, int rowStart, int width)
    {
        var lanes = Vector<byte>.Count;
        var threshold = new Vector<byte>((byte)FieldThreshold);
        var starts = PixelStarts;
        // Vector loads read two bytes past their lanes (see Brightest): stop where that would leave the array.
        var end = Math.Min(width * 3, px.Length - rowStart - 2);
        var count = 0;
        var k = 0;
        while (k + lanes <= end)
        {
            // Per lane, a tally of field pixels starting there; summed before any lane could pass 255.
            var tally = Vector<byte>.Zero;
            var stop = Math.Min(end, k + byte.MaxValue * lanes);
            for (; k + lanes <= stop; k += lanes)
            {
                tally -= Vector.GreaterThan(Brightest(px, rowStart + k), threshold) & starts[k % 3];
            }

            Vector.Widen(tally, out var low, out var high);
            count += Vector.Sum(low + high);
        }

        for (var x = (k + 2) / 3; x < width; x++)
        {
            count += IsField(px, rowStart + x * 3) ? 1 : 0;
        }

        return count;
    }

    /// <summary>For a vector starting at a byte offset of 0, 1 or 2 mod 3 from a pixel, all ones in the lanes that start a pixel.</summary>
    private static readonly Vector<byte>[] PixelStarts = [.. Enumerable.Range(0, 3).Select(phase =>
        Vector.Create<byte>([.. Enumerable.Range(0, Vector<byte>.Count).Select(j => (phase + j) % 3 == 0 ? byte.MaxValue : (byte)0)]))];

    /// <summary>Each lane's maximum over itself and the next two bytes: where the lane starts a pixel, its brightest channel.</summary>
    private static Vector<byte> Brightest(byte[] px, int index)
    {
        var lanes = Vector<byte>.Count;
        return Vector.Max(Vector.Max(Vector.Create<byte>(px.AsSpan(index, lanes)), Vector.Create<byte>(px.AsSpan(index + 1, lanes))), Vector.Create<byte>(px.AsSpan(index + 2, lanes)));
    }

    private static bool IsField(byte[] px, int i) => px[i] > FieldThreshold || px[i + 1] > FieldThreshold || px[i + 2] > FieldThreshold;

    /// <summary>
    /// The first (or last) column with at least <paramref name="minCount"/> field pixels over all rows, or −1. Columns are
    /// counted in strips of as many pixels as a vector has lanes (three vectors of bytes a row), from the side inward.
    /// </summary>
    private static int FieldColumn(byte[] px, int w, int h, int minCount, bool fromLeft)
    {
        var strip = Vector<byte>.Count;
        Span<int> counts = stackalloc int[strip];
        if (w < strip)
        {
            CountColumns(px, w, h, 0, counts[..w]);
            return fromLeft ? counts[..w].IndexOfAnyInRange(minCount, int.MaxValue) : counts[..w].LastIndexOfAnyInRange(minCount, int.MaxValue);
        }

        // Strips stay inside the frame: the last one overlaps its neighbour, whose columns were already looked at.
        for (var done = 0; done < w; done += strip)
        {
            var x0 = fromLeft ? Math.Min(done, w - strip) : Math.Max(0, w - done - strip);
            CountColumns(px, w, h, x0, counts);
            var fresh = fromLeft ? counts[(done - x0)..] : counts[..(w - done - x0)];
            var found = fromLeft ? fresh.IndexOfAnyInRange(minCount, int.MaxValue) : fresh.LastIndexOfAnyInRange(minCount, int.MaxValue);
            if (found >= 0)
            {
                return fromLeft ? done + found : x0 + found;
            }
        }

        return -1;
    }

    /// <summary>Field pixels over all rows in each of the <paramref name="counts"/>.Length columns from <paramref name="x0"/>.</summary>
    private static void CountColumns(byte[] px, int w, int h, int x0, Span<int> counts)
    {
        counts.Clear();
        var lanes = Vector<byte>.Count;
        var stride = w * 3;
        var threshold = new Vector<byte>((byte)FieldThreshold);
        Span<byte> tallies = stackalloc byte[3 * lanes];
        for (var y = 0; y < h;)
        {
            // Per byte lane, a tally of the rows in which a field pixel starts there; folded into the counts before it
            // could wrap. A row whose loads would leave the array (the last, at the right edge) is counted pixel by pixel.
            var t0 = Vector<byte>.Zero;
            var t1 = Vector<byte>.Zero;
            var t2 = Vector<byte>.Zero;
            for (var end = Math.Min(h, y + byte.MaxValue); y < end; y++)
            {
                var row = y * stride + x0 * 3;
                if (counts.Length == lanes && row + 3 * lanes + 2 <= px.Length)
                {
                    t0 -= Vector.GreaterThan(Brightest(px, row), threshold);
                    t1 -= Vector.GreaterThan(Brightest(px, row + lanes), threshold);
                    t2 -= Vector.GreaterThan(Brightest(px, row + 2 * lanes), threshold);
                    continue;
                }

                for (var x = 0; x < counts.Length; x++)
                {
                    counts[x] += IsField(px, row + x * 3) ? 1 : 0;
                }
            }

            t0.CopyTo(tallies);
            t1.CopyTo(tallies[lanes..]);
            t2.CopyTo(tallies[(2 * lanes)..]);
            for (var x = 0; x < counts.Length; x++)
            {
                counts[x] += tallies[x * 3];
            }
        }
    }

    /// <summary>
    /// <paramref name="destination"/>[j] = Σₖ weights[k] · pixels[(first + k) · stride + offset + j]: the output row as a
    /// weighted sum of <paramref name="weights"/>.Length consecutive source rows, over the bytes the columns read.
    /// </summary>
    private static void SumRows(byte[] pixels, int stride, int first, ReadOnlySpan<float> weights, int offset, Span<float> destination)
    {
        var lanes = Vector<byte>.Count;
        var floats = Vector<float>.Count;
        var j = 0;
        // A vector of bytes widens to four of floats, summed in registers over all the rows before one store. Multiply,
        // then add, never fused: a fused multiply-add rounds once where the scalar tail rounds twice, and training crops
        // must come out the same bytes on any machine, with or without FMA.
        for (; j + lanes <= destination.Length; j += lanes)
        {
            var s0 = Vector<float>.Zero;
            var s1 = Vector<float>.Zero;
            var s2 = Vector<float>.Zero;
            var s3 = Vector<float>.Zero;
            for (var k = 0; k < weights.Length; k++)
            {
                var bytes = Vector.Create<byte>(pixels.AsSpan((first + k) * stride + offset + j, lanes));
                Vector.Widen(bytes, out var low, out var high);
                Vector.Widen(low, out var v0, out var v1);
                Vector.Widen(high, out var v2, out var v3);
                var weight = Vector.Create(weights[k]);
                s0 += weight * Vector.ConvertToSingle(Vector.AsVectorInt32(v0));
                s1 += weight * Vector.ConvertToSingle(Vector.AsVectorInt32(v1));
                s2 += weight * Vector.ConvertToSingle(Vector.AsVectorInt32(v2));
                s3 += weight * Vector.ConvertToSingle(Vector.AsVectorInt32(v3));
            }

            s0.CopyTo(destination[j..]);
            s1.CopyTo(destination[(j + floats)..]);
            s2.CopyTo(destination[(j + 2 * floats)..]);
            s3.CopyTo(destination[(j + 3 * floats)..]);
        }

        for (; j < destination.Length; j++)
        {
            var sum = 0f;
            for (var k = 0; k < weights.Length; k++)
            {
                sum += weights[k] * pixels[(first + k) * stride + offset + j];
            }

            destination[j] = sum;
        }
    }

    /// <summary>
    /// Each output pixel's kernel over <paramref name="vertical"/> (interleaved RGB from column <paramref name="firstColumn"/>):
    /// a pixel's three channels travel as lanes 0–2 of one vector (lane 3, the next pixel's red, is carried along and
    /// overwritten by the next pixel's store), so a tap is one multiply-add for all three.
    /// </summary>
    private static void SumColumns(float[] vertical, TapKernel columns, int firstColumn, float[] horizontal)
    {
        var weights = columns.Weights;
        for (var ox = 0; ox < columns.Size; ox++)
        {
            var (start, count, offset) = columns.Kernel(ox);
            var source = (start - firstColumn) * 3;
            var sum = Vector128<float>.Zero;
            for (var k = 0; k < count; k++)
            {
                sum += Vector128.Create(weights[offset + k]) * Vector128.Create(vertical.AsSpan(source + k * 3, 4));
            }

            sum.CopyTo(horizontal.AsSpan(ox * 3, 4));
        }
    }

    /// <summary>Rounds to the nearest grey level and clamps to a byte, as <c>(byte)Math.Clamp((int)(v + 0.5f), 0, 255)</c>.</summary>
    private static void RoundToBytes(ReadOnlySpan<float> values, Span<byte> destination)
    {
        var lanes = Vector<byte>.Count;
        var floats = Vector<float>.Count;
        var half = Vector.Create(0.5f);
        var j = 0;
        for (; j + lanes <= values.Length; j += lanes)
        {
            var v0 = Round(Vector.Create(values.Slice(j, floats)) + half);
            var v1 = Round(Vector.Create(values.Slice(j + floats, floats)) + half);
            var v2 = Round(Vector.Create(values.Slice(j + 2 * floats, floats)) + half);
            var v3 = Round(Vector.Create(values.Slice(j + 3 * floats, floats)) + half);
            Vector.Narrow(Vector.Narrow(v0, v1), Vector.Narrow(v2, v3)).CopyTo(destination[j..]);
        }

        for (; j < values.Length; j++)
        {
            destination[j] = (byte)Math.Clamp((int)(values[j] + 0.5f), 0, 255);
        }

        static Vector<uint> Round(Vector<float> v) =>
            Vector.AsVectorUInt32(Vector.Min(Vector.Max(Vector.ConvertToInt32(v), Vector<int>.Zero), Vector.Create(255)));
    }

    /// <summary>
    /// Byte shuffles that gather one channel of sixteen interleaved RGB pixels (48 bytes in three vectors). Index 0xFF is
    /// out of range and gives zero, so the three shuffles of a channel fill disjoint lanes; the indices are literals so the
    /// JIT emits one byte shuffle instruction for each.
    /// </summary>
    private static class Deinterleave
    {
        public static Vector128<byte> Red(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c) =>
            Vector128.Shuffle(a, Vector128.Create((byte)0, 3, 6, 9, 12, 15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(b, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 5, 8, 11, 14, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(c, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 4, 7, 10, 13));

        public static Vector128<byte> Green(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c) =>
            Vector128.Shuffle(a, Vector128.Create((byte)1, 4, 7, 10, 13, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(b, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 3, 6, 9, 12, 15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(c, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 5, 8, 11, 14));

        public static Vector128<byte> Blue(Vector128<byte> a, Vector128<byte> b, Vector128<byte> c) =>
            Vector128.Shuffle(a, Vector128.Create((byte)2, 5, 8, 11, 14, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(b, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 4, 7, 10, 13, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(c, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 3, 6, 9, 12, 15));
    }
}
