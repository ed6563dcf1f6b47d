using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Inference.Quality;

/// <summary>
/// A fast image-quality check run before grading: exposure, field coverage and centring, shadowing and sharpness,
/// measured on a downsampled copy (about 384 pixels across) so it answers in milliseconds at the camera. With a
/// learned <see cref="GradabilityClassifier"/> the classifier decides and the rules explain: a refusal names the rule
/// that fails, or else the feature nearest its limit.
/// </summary>
public sealed partial class GradabilityAssessor
{
    /// <summary>Lower than the grader's crop threshold so an under-exposed field is still found and called "too dark".</summary>
    public const int FieldThreshold = 12;

    private const int AnalysisSize = 384;
    private readonly ILogger _logger;

    public GradabilityAssessor(ILogger<GradabilityAssessor>? logger = null)
        : this(GradabilityThresholds.Default, logger)
    {
    }

    public GradabilityAssessor(GradabilityThresholds thresholds, ILogger<GradabilityAssessor>? logger = null)
        : this(thresholds, null, logger)
    {
    }

    public GradabilityAssessor(GradabilityThresholds thresholds, GradabilityClassifier? classifier, ILogger<GradabilityAssessor>? logger = null)
    {
        Thresholds = thresholds ?? throw new ArgumentNullException(nameof(thresholds));
        Classifier = classifier;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public GradabilityThresholds Thresholds { get; }

    /// <summary>The learned classifier that decides, when one is configured; null: the rules decide.</summary>
    public GradabilityClassifier? Classifier { get; }

    public Gradability Assess(RgbFrame frame)
    {
        var started = Stopwatch.GetTimestamp();
        var features = Measure(frame);
        var reason = Classifier is null
            ? Decide(features)
            : Classifier.IsUngradable(features) ? Decide(features) ?? WorstFeature(features) : null;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogAssessed(_logger, reason is null, reason ?? "", elapsedMs);
        }

        return new Gradability(reason is null, reason, features);
    }

    public string? Decide(QualityFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var t = Thresholds;
        // Exposure first: a dark or washed-out frame also looks blurred and oddly shaped, but exposure is the fix.
        if (f.FieldFraction < 0.02 || f.MeanLuma < t.MinMeanLuma)
        {
            return Gradability.TooDark;
        }

        if (f.MeanLuma > t.MaxMeanLuma || f.SaturatedFraction > t.MaxSaturatedFraction)
        {
            return Gradability.Overexposed;
        }

        if (f.CentreOffset > t.MaxCentreOffset)
        {
            return Gradability.FieldNotCentred;
        }

        if (f.FieldFraction < t.MinFieldFraction || f.FieldFill < t.MinFieldFill || f.FieldAspect < t.MinFieldAspect || f.ShadowFraction > t.MaxShadowFraction)
        {
            return Gradability.InsufficientField;
        }

        return f.Sharpness < t.MinSharpness ? Gradability.Blurred : null;
    }

    /// <summary>
    /// The rule whose feature is closest to (or furthest past) its limit, relative to the limit: the reason given when
    /// the classifier refuses a photograph that no single rule would.
    /// </summary>
    public string WorstFeature(QualityFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var t = Thresholds;
        (string Reason, double Margin)[] margins =
        [
            (Gradability.TooDark, (f.MeanLuma - t.MinMeanLuma) / t.MinMeanLuma),
            (Gradability.Overexposed, Math.Min((t.MaxMeanLuma - f.MeanLuma) / t.MaxMeanLuma, (t.MaxSaturatedFraction - f.SaturatedFraction) / t.MaxSaturatedFraction)),
            (Gradability.FieldNotCentred, (t.MaxCentreOffset - f.CentreOffset) / t.MaxCentreOffset),
            (Gradability.InsufficientField, Math.Min(
                Math.Min((f.FieldFraction - t.MinFieldFraction) / t.MinFieldFraction, (f.FieldFill - t.MinFieldFill) / t.MinFieldFill),
                Math.Min((f.FieldAspect - t.MinFieldAspect) / t.MinFieldAspect, (t.MaxShadowFraction - f.ShadowFraction) / t.MaxShadowFraction))),
            (Gradability.Blurred, (f.Sharpness - t.MinSharpness) / t.MinSharpness),
        ];
        return margins.MinBy(m => m.Margin).Reason;
    }

    /// <remarks>
    /// Every photograph passes through here before anything else, so the loops are vectorised. The classifier and the
    /// thresholds were fitted to the features of the scalar code that came first, so every feature must come out the
    /// same double, bit for bit: integer sums and counts are reordered freely, each float is computed lane by lane as
    /// the scalar code computes it, and the double sums over the green channel and its Laplacian are still added one
    /// pixel at a time in raster order, since their rounding depends on the order.
    /// </remarks>
    public static QualityFeatures Measure(RgbFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Width < 1 || frame.Height < 1 || frame.Pixels.Length < (long)frame.Width * frame.Height * 3)
        {
            throw new ArgumentException("The frame must have at least one pixel and Width×Height×3 bytes.", nameof(frame));
        }

        // Every photograph is measured at the same scale, whatever the camera's resolution: sharpness in
        // particular is a per-pixel measure and would otherwise call a 4000-pixel photograph blurred.
        var scale = Math.Max(frame.Width, frame.Height) / (double)AnalysisSize;
        var w = Math.Max(1, (int)Math.Round(frame.Width / scale));
        var h = Math.Max(1, (int)Math.Round(frame.Height / scale));
        var plane = w * h;
        var r = ArrayPool<float>.Shared.Rent(plane);
        var g = ArrayPool<float>.Shared.Rent(plane);
        var b = ArrayPool<float>.Shared.Rent(plane);
        var mask = ArrayPool<int>.Shared.Rent(plane);
        var luma = ArrayPool<int>.Shared.Rent(plane);
        try
        {
            Downsample(frame, scale, w, h, r, g, b);
            return MeasureDownsampled(r, g, b, mask, luma, w, h);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(r);
            ArrayPool<float>.Shared.Return(g);
            ArrayPool<float>.Shared.Return(b);
            ArrayPool<int>.Shared.Return(mask);
            ArrayPool<int>.Shared.Return(luma);
        }
    }

    /// <summary>The features of the downsampled planes; <paramref name="mask"/> and <paramref name="luma"/> are scratch planes.</summary>
    private static QualityFeatures MeasureDownsampled(float[] r, float[] g, float[] b, int[] mask, int[] luma, int w, int h)
    {
        var count = 0;
        long sumX = 0, sumY = 0;
        int minX = w, minY = h, maxX = -1, maxY = -1;
        var saturated = 0;
        for (var y = 0; y < h; y++)
        {
            var row = y * w;
            var (rowCount, rowSumX, rowSaturated) = MeasureRow(r, g, b, row, w, mask, luma);
            if (rowCount == 0)
            {
                continue;
            }

            count += rowCount;
            sumX += rowSumX;
            sumY += (long)y * rowCount;
            saturated += rowSaturated;
            minY = Math.Min(minY, y);
            maxY = y;
            minX = Math.Min(minX, mask.AsSpan(row, w).IndexOf(-1));
            maxX = Math.Max(maxX, mask.AsSpan(row, w).LastIndexOf(-1));
        }

        if (count < 16)
        {
            return new QualityFeatures(count / (double)(w * h), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
        }

        var (histogram, sumG, sumG2, sharpness) = SumInRasterOrder(g, mask, luma, w, h);
        double lumaSum = 0;
        for (var v = 0; v < 256; v++)
        {
            lumaSum += (double)v * histogram[v];
        }

        // Shadow is judged against the bright part of the field: a lid shadow can cover half of it, median included.
        var shadowLimit = 0.3 * Percentile(histogram, count, 0.9);
        var shadow = 0;
        for (var v = 0; v < 256 && v < shadowLimit; v++)
        {
            shadow += histogram[v];
        }

        // The centroid's sums are of whole numbers far below 2^53: exact as integers, so the same doubles in any order.
        var side = Math.Min(w, h);
        var centreOffset = Math.Sqrt(Math.Pow((double)sumX / count - (w - 1) / 2.0, 2) + Math.Pow((double)sumY / count - (h - 1) / 2.0, 2)) / side;
        var boxW = maxX - minX + 1;
        var boxH = maxY - minY + 1;
        var fill = count / (Math.PI / 4 * boxW * boxH);
        var meanG = sumG / count;
        var varG = Math.Max(1e-6, sumG2 / count - meanG * meanG);

        return new QualityFeatures(
            FieldFraction: count / (double)(w * h),
            CentreOffset: centreOffset,
            FieldFill: fill,
            FieldAspect: Math.Min(boxW, boxH) / (double)Math.Max(boxW, boxH),
            MeanLuma: lumaSum / count,
            LumaP05: Percentile(histogram, count, 0.05),
            LumaP95: Percentile(histogram, count, 0.95),
            SaturatedFraction: saturated / (double)count,
            ShadowFraction: shadow / (double)count,
            Contrast: Math.Sqrt(varG),
            Sharpness: sharpness / varG);
    }

    /// <summary>
    /// One row of the planes: writes the field mask (−1 field, 0 not) and each pixel's luma bin, and returns the row's
    /// field pixels, the sum of their x, and how many of them are saturated.
    /// </summary>
    private static (int Count, int SumX, int Saturated) MeasureRow(float[] r, float[] g, float[] b, int row, int w, int[] mask, int[] luma)
    {
        var lanes = Vector<float>.Count;
        var threshold = new Vector<float>(FieldThreshold);
        var bright = new Vector<float>(250f);
        var (redWeight, greenWeight, blueWeight) = (new Vector<float>(0.299f), new Vector<float>(0.587f), new Vector<float>(0.114f));
        var counts = Vector<int>.Zero;
        var saturated = Vector<int>.Zero;
        var sumX = Vector<int>.Zero;
        var x = 0;
        for (; x + lanes <= w; x += lanes)
        {
            var i = row + x;
            var vr = Vector.Create<float>(r.AsSpan(i, lanes));
            var vg = Vector.Create<float>(g.AsSpan(i, lanes));
            var vb = Vector.Create<float>(b.AsSpan(i, lanes));
            var field = Vector.GreaterThan(vr, threshold) | Vector.GreaterThan(vg, threshold) | Vector.GreaterThan(vb, threshold);
            field.CopyTo(mask, i);
            // Multiply, then add, left to right and never fused, as the scalar expression rounds; truncated like (int).
            var bin = Vector.ConvertToInt32(redWeight * vr + greenWeight * vg + blueWeight * vb);
            Vector.Min(Vector.Max(bin, Vector<int>.Zero), new Vector<int>(255)).CopyTo(luma, i);
            counts -= field;
            saturated -= field & (Vector.GreaterThanOrEqual(vr, bright) | Vector.GreaterThanOrEqual(vg, bright) | Vector.GreaterThanOrEqual(vb, bright));
            sumX += field & (Vector<int>.Indices + new Vector<int>(x));
        }

        var (count, sum, saturatedCount) = (Vector.Sum(counts), Vector.Sum(sumX), Vector.Sum(saturated));
        for (; x < w; x++)
        {
            var i = row + x;
            if (r[i] <= FieldThreshold && g[i] <= FieldThreshold && b[i] <= FieldThreshold)
            {
                mask[i] = 0;
                continue;
            }

            mask[i] = -1;
            luma[i] = Math.Clamp((int)(0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i]), 0, 255);
            count++;
            sum += x;
            saturatedCount += r[i] >= 250 || g[i] >= 250 || b[i] >= 250 ? 1 : 0;
        }

        return (count, sum, saturatedCount);
    }

    /// <summary>
    /// The luma histogram of the field, the sums of its green values and their squares, and the variance of the green
    /// channel's 4-neighbour Laplacian where the whole 5×5 neighbourhood is field (the rim is no detail).
    /// </summary>
    /// <remarks>
    /// The green values have up to 24 significant bits, so these double sums round differently in another order: they
    /// are added pixel by pixel in raster order, as the scalar code did. Everything else is done a vector at a time per
    /// row first (the Laplacian, widening to double, which is exact, and squaring, one rounding as before), so that the
    /// pixel loop is only the additions, the two chains (green, Laplacian) overlapping in one loop.
    /// </remarks>
    private static (int[] Histogram, double SumG, double SumG2, double LaplacianVariance) SumInRasterOrder(float[] g, int[] mask, int[] luma, int w, int h)
    {
        // Two histograms, even and odd columns, so that neighbours of the same grey level do not wait on each other's count.
        var histograms = new int[2 * 256];
        var sums = default(RasterSums);
        // One row of each: w is at most the analysis size.
        var rows = new RasterRow(stackalloc double[w], stackalloc double[w], stackalloc double[w], stackalloc double[w], stackalloc int[w]);
        for (var y = 0; y < h; y++)
        {
            WidenGreenRow(g.AsSpan(y * w, w), rows.Green, rows.GreenSquares);
            LaplacianRow(g, mask, w, h, y, rows);
            AddRow(mask.AsSpan(y * w, w), luma.AsSpan(y * w, w), rows, histograms, ref sums);
        }

        var histogram = new int[256];
        for (var v = 0; v < 256; v++)
        {
            histogram[v] = histograms[v] + histograms[256 + v];
        }

        var n = sums.LaplacianCount;
        var variance = n == 0 ? 0 : sums.LaplacianSquares / n - (sums.Laplacian / n) * (sums.Laplacian / n);
        return (histogram, sums.Green, sums.GreenSquares, variance);
    }

    /// <summary>One row's values, as they are added: green and Laplacian as doubles, their squares, and where the Laplacian counts (−1).</summary>
    private readonly ref struct RasterRow(Span<double> green, Span<double> greenSquares, Span<double> laplacian, Span<double> laplacianSquares, Span<int> inside)
    {
        public Span<double> Green { get; } = green;

        public Span<double> GreenSquares { get; } = greenSquares;

        public Span<double> Laplacian { get; } = laplacian;

        public Span<double> LaplacianSquares { get; } = laplacianSquares;

        public Span<int> Inside { get; } = inside;
    }

    /// <summary>The double sums of <see cref="SumInRasterOrder"/>, carried from row to row.</summary>
    private struct RasterSums
    {
        public double Green;
        public double GreenSquares;
        public double Laplacian;
        public double LaplacianSquares;
        public int LaplacianCount;
    }

    /// <summary>
    /// Adds one row to the sums, pixel by pixel. A method of its own, with no call inside, so that the sums stay in
    /// registers: live across a call they would wait on memory at every addition (no vector register survives a call
    /// on Linux x64).
    /// </summary>
    private static void AddRow(ReadOnlySpan<int> mask, ReadOnlySpan<int> luma, RasterRow row, int[] histograms, ref RasterSums sums)
    {
        var (sumG, sumG2, lapSum, lapSum2, n) = (sums.Green, sums.GreenSquares, sums.Laplacian, sums.LaplacianSquares, sums.LaplacianCount);
        var green = row.Green;
        var greenSquares = row.GreenSquares;
        var laplacian = row.Laplacian;
        var laplacianSquares = row.LaplacianSquares;
        var inside = row.Inside;
        for (var x = 0; x < mask.Length; x++)
        {
            if (mask[x] != 0)
            {
                histograms[((x & 1) << 8) + luma[x]]++;
                sumG += green[x];
                sumG2 += greenSquares[x];
            }

            if (inside[x] != 0)
            {
                lapSum += laplacian[x];
                lapSum2 += laplacianSquares[x];
                n++;
            }
        }

        sums = new RasterSums { Green = sumG, GreenSquares = sumG2, Laplacian = lapSum, LaplacianSquares = lapSum2, LaplacianCount = n };
    }

    /// <summary>Each float of <paramref name="green"/> as a double, and that double squared, as <c>(double)g * g</c>.</summary>
    private static void WidenGreenRow(ReadOnlySpan<float> green, Span<double> values, Span<double> squares)
    {
        var lanes = Vector<float>.Count;
        var x = 0;
        for (; x + lanes <= green.Length; x += lanes)
        {
            Widen(Vector.Create(green.Slice(x, lanes)), values[x..], squares[x..]);
        }

        for (; x < green.Length; x++)
        {
            values[x] = green[x];
            squares[x] = (double)green[x] * green[x];
        }
    }

    /// <summary>A vector of floats as doubles into <paramref name="values"/>, and those squared into <paramref name="squares"/>.</summary>
    private static void Widen(Vector<float> floats, Span<double> values, Span<double> squares)
    {
        var doubles = Vector<double>.Count;
        Vector.Widen(floats, out var low, out var high);
        low.CopyTo(values);
        high.CopyTo(values[doubles..]);
        (low * low).CopyTo(squares);
        (high * high).CopyTo(squares[doubles..]);
    }

    /// <summary>
    /// Row <paramref name="y"/>'s Laplacian (float, summed left to right as the scalar expression does, then widened)
    /// and where it counts: 5×5 neighbourhood all field, two pixels or more from the plane's edges.
    /// </summary>
    private static void LaplacianRow(float[] g, int[] mask, int w, int h, int y, RasterRow row)
    {
        var inside = row.Inside;
        if (y < 2 || y >= h - 2 || w <= 4)
        {
            inside.Clear();
            return;
        }

        inside[0] = inside[1] = inside[w - 2] = inside[w - 1] = 0;
        var lanes = Vector<float>.Count;
        var four = new Vector<float>(4f);
        var x = 2;
        for (; x + lanes <= w - 2; x += lanes)
        {
            var i = y * w + x;
            var all = Vector.Create<int>(mask.AsSpan(i, lanes)) & Vector.Create<int>(mask.AsSpan(i - 2, lanes)) & Vector.Create<int>(mask.AsSpan(i + 2, lanes))
                & Vector.Create<int>(mask.AsSpan(i - 2 * w, lanes)) & Vector.Create<int>(mask.AsSpan(i + 2 * w, lanes));
            var lap = Vector.Create<float>(g.AsSpan(i - 1, lanes)) + Vector.Create<float>(g.AsSpan(i + 1, lanes)) + Vector.Create<float>(g.AsSpan(i - w, lanes))
                + Vector.Create<float>(g.AsSpan(i + w, lanes)) - four * Vector.Create<float>(g.AsSpan(i, lanes));
            all.CopyTo(inside[x..]);
            Widen(lap, row.Laplacian[x..], row.LaplacianSquares[x..]);
        }

        for (; x < w - 2; x++)
        {
            var i = y * w + x;
            inside[x] = mask[i] & mask[i - 2] & mask[i + 2] & mask[i - 2 * w] & mask[i + 2 * w];
            double lap = g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4 * g[i];
            row.Laplacian[x] = lap;
            row.LaplacianSquares[x] = lap * lap;
        }
    }

    /// <summary>
    /// Area-averages the frame to <paramref name="w"/>×<paramref name="h"/> (a source box of about
    /// <paramref name="scale"/> pixels per side each): cheap, and it averages away sensor noise before the Laplacian.
    /// </summary>
    /// <remarks>
    /// A box's sum of bytes is a whole number; while it stays at or below 2^24 every partial sum is exact in a float,
    /// so an integer sum in any order is the float the scalar loop added up pixel by pixel. Boxes are summed as
    /// 16-bit lanes down the rows (at most 257 rows of 255), then across the columns with a pixel's three channels as
    /// one vector. Boxes too large for that (frames of about 98,000 pixels and more) take the scalar loop.
    /// </remarks>
    private static void Downsample(RgbFrame frame, double scale, int w, int h, float[] r, float[] g, float[] b)
    {
        var columns = Boxes(frame.Width, scale, w);
        var rows = Boxes(frame.Height, scale, h);
        var widest = columns.Max(c => c.End - c.Start);
        var tallest = rows.Max(c => c.End - c.Start);
        if (tallest > 257 || (long)tallest * widest * byte.MaxValue > 1 << 24)
        {
            DownsampleInOrder(frame, columns, rows, w, r, g, b);
            return;
        }

        var stride = frame.Width * 3;
        // One int per byte of a source row, and one of slack: the last pixel's three channels are read as four lanes.
        var sums = ArrayPool<int>.Shared.Rent(stride + 1);
        try
        {
            sums[stride] = 0;
            (int Start, int End) summed = (-1, -1);
            for (var y = 0; y < h; y++)
            {
                var (y0, y1) = rows[y];
                if ((y0, y1) != summed)
                {
                    // A frame smaller than the analysis size repeats source rows: each is summed once.
                    SumRows(frame.Pixels, stride, y0, y1 - y0, sums.AsSpan(0, stride));
                    summed = (y0, y1);
                }

                for (var x = 0; x < w; x++)
                {
                    var (x0, x1) = columns[x];
                    var sum = Vector128<int>.Zero;
                    for (var sx = x0; sx < x1; sx++)
                    {
                        sum += Vector128.Create(sums.AsSpan(sx * 3, 4));
                    }

                    var norm = 1f / ((y1 - y0) * (x1 - x0));
                    var mean = Vector128.ConvertToSingle(sum) * Vector128.Create(norm);
                    var i = y * w + x;
                    r[i] = mean.GetElement(0);
                    g[i] = mean.GetElement(1);
                    b[i] = mean.GetElement(2);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(sums);
        }
    }

    /// <summary>Each output pixel's source range along one axis: about <paramref name="scale"/> pixels, at least one, inside the frame.</summary>
    private static (int Start, int End)[] Boxes(int length, double scale, int count)
    {
        var boxes = new (int Start, int End)[count];
        for (var k = 0; k < count; k++)
        {
            var start = Math.Min(length - 1, (int)(k * scale));
            boxes[k] = (start, Math.Clamp((int)((k + 1) * scale), start + 1, length));
        }

        return boxes;
    }

    /// <summary><paramref name="sums"/>[j] = Σ over <paramref name="count"/> rows from <paramref name="first"/> of the row's byte j.</summary>
    private static void SumRows(byte[] pixels, int stride, int first, int count, Span<int> sums)
    {
        var lanes = Vector<byte>.Count;
        var ints = Vector<int>.Count;
        var j = 0;
        for (; j + lanes <= stride; j += lanes)
        {
            var low = Vector<ushort>.Zero;
            var high = Vector<ushort>.Zero;
            for (var k = 0; k < count; k++)
            {
                Vector.Widen(Vector.Create<byte>(pixels.AsSpan((first + k) * stride + j, lanes)), out var l, out var u);
                low += l;
                high += u;
            }

            Vector.Widen(low, out var s0, out var s1);
            Vector.Widen(high, out var s2, out var s3);
            Vector.AsVectorInt32(s0).CopyTo(sums[j..]);
            Vector.AsVectorInt32(s1).CopyTo(sums[(j + ints)..]);
            Vector.AsVectorInt32(s2).CopyTo(sums[(j + 2 * ints)..]);
            Vector.AsVectorInt32(s3).CopyTo(sums[(j + 3 * ints)..]);
        }

        for (; j < stride; j++)
        {
            var sum = 0;
            for (var k = 0; k < count; k++)
            {
                sum += pixels[(first + k) * stride + j];
            }

            sums[j] = sum;
        }
    }

    /// <summary>The scalar loop, float sums pixel by pixel, for boxes whose sums a float might round.</summary>
    private static void DownsampleInOrder(RgbFrame frame, (int Start, int End)[] columns, (int Start, int End)[] rows, int w, float[] r, float[] g, float[] b)
    {
        var px = frame.Pixels;
        for (var y = 0; y < rows.Length; y++)
        {
            var (y0, y1) = rows[y];
            for (var x = 0; x < w; x++)
            {
                var (x0, x1) = columns[x];
                float sr = 0, sg = 0, sb = 0;
                for (var sy = y0; sy < y1; sy++)
                {
                    var row = (sy * frame.Width + x0) * 3;
                    for (var sx = 0; sx < x1 - x0; sx++)
                    {
                        sr += px[row + sx * 3];
                        sg += px[row + sx * 3 + 1];
                        sb += px[row + sx * 3 + 2];
                    }
                }

                var norm = 1f / ((y1 - y0) * (x1 - x0));
                var i = y * w + x;
                r[i] = sr * norm;
                g[i] = sg * norm;
                b[i] = sb * norm;
            }
        }
    }

    private static double Percentile(int[] histogram, int count, double p)
    {
        var target = p * count;
        var acc = 0;
        for (var v = 0; v < histogram.Length; v++)
        {
            acc += histogram[v];
            if (acc >= target)
            {
                return v;
            }
        }

        return 255;
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Gradability assessed: gradable {Gradable}, reason '{Reason}' ({ElapsedMs:F1} ms)")]
    private static partial void LogAssessed(ILogger logger, bool gradable, string reason, double elapsedMs);
}
