using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Quality;

namespace RetinaScreen.Inference.Tests;

/// <summary>
/// The reference for <see cref="GradabilityAssessor.Measure"/>: its scalar implementation as it stood before it was
/// vectorised (commit 7906997), copied unchanged but for the class name and constants. The learned gradability classifier
/// and the rule thresholds were fitted to the features this code computes, so the shipped measurement is held to it bit
/// for bit: any difference, however small, would move a photograph across a fitted split.
/// </summary>
internal static class ReferenceGradabilityMeasure
{
    private const int FieldThreshold = GradabilityAssessor.FieldThreshold;

    private const int AnalysisSize = 384;

    public static QualityFeatures Measure(RgbFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        // Every photograph is measured at the same scale, whatever the camera's resolution: sharpness in
        // particular is a per-pixel measure and would otherwise call a 4000-pixel photograph blurred.
        var scale = Math.Max(frame.Width, frame.Height) / (double)AnalysisSize;
        var w = Math.Max(1, (int)Math.Round(frame.Width / scale));
        var h = Math.Max(1, (int)Math.Round(frame.Height / scale));
        var (r, g, b) = Downsample(frame, scale, w, h);

        var mask = new bool[w * h];
        var count = 0;
        double sumX = 0, sumY = 0;
        int minX = w, minY = h, maxX = -1, maxY = -1;
        var histogram = new int[256];
        var saturated = 0;
        double sumG = 0, sumG2 = 0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var i = y * w + x;
                if (r[i] <= FieldThreshold && g[i] <= FieldThreshold && b[i] <= FieldThreshold)
                {
                    continue;
                }

                mask[i] = true;
                count++;
                sumX += x;
                sumY += y;
                minX = Math.Min(minX, x);
                maxX = Math.Max(maxX, x);
                minY = Math.Min(minY, y);
                maxY = Math.Max(maxY, y);
                histogram[Math.Clamp((int)(0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i]), 0, 255)]++;
                if (r[i] >= 250 || g[i] >= 250 || b[i] >= 250)
                {
                    saturated++;
                }

                sumG += g[i];
                sumG2 += (double)g[i] * g[i];
            }
        }

        if (count < 16)
        {
            return new QualityFeatures(count / (double)(w * h), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
        }

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

        var side = Math.Min(w, h);
        var centreOffset = Math.Sqrt(Math.Pow(sumX / count - (w - 1) / 2.0, 2) + Math.Pow(sumY / count - (h - 1) / 2.0, 2)) / side;
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
            Sharpness: LaplacianVariance(g, mask, w, h) / varG);
    }

    /// <summary>
    /// Area-averages the frame to <paramref name="w"/>×<paramref name="h"/> (a source box of about
    /// <paramref name="scale"/> pixels per side each): cheap, and it averages away sensor noise before the Laplacian.
    /// </summary>
    private static (float[] R, float[] G, float[] B) Downsample(RgbFrame frame, double scale, int w, int h)
    {
        var r = new float[w * h];
        var g = new float[w * h];
        var b = new float[w * h];
        var px = frame.Pixels;
        for (var y = 0; y < h; y++)
        {
            var y0 = Math.Min(frame.Height - 1, (int)(y * scale));
            var y1 = Math.Clamp((int)((y + 1) * scale), y0 + 1, frame.Height);
            for (var x = 0; x < w; x++)
            {
                var x0 = Math.Min(frame.Width - 1, (int)(x * scale));
                var x1 = Math.Clamp((int)((x + 1) * scale), x0 + 1, frame.Width);
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

        return (r, g, b);
    }

    /// <summary>Variance of the 4-neighbour Laplacian, only where the whole 5×5 neighbourhood is field (the rim is no detail).</summary>
    private static double LaplacianVariance(float[] g, bool[] mask, int w, int h)
    {
        double sum = 0, sum2 = 0;
        var n = 0;
        for (var y = 2; y < h - 2; y++)
        {
            for (var x = 2; x < w - 2; x++)
            {
                var i = y * w + x;
                if (!mask[i] || !mask[i - 2] || !mask[i + 2] || !mask[i - 2 * w] || !mask[i + 2 * w])
                {
                    continue;
                }

                double lap = g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4 * g[i];
                sum += lap;
                sum2 += lap * lap;
                n++;
            }
        }

        return n == 0 ? 0 : sum2 / n - (sum / n) * (sum / n);
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
}
