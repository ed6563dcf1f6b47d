using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Cli.Synthesis;

/// <summary>
/// A float RGB canvas (0–255 per channel, one plane per channel) with the few soft-edged primitives the
/// synthesiser needs. Planes instead of interleaved bytes keep blending and blurring simple and exact.
/// </summary>
internal sealed class FundusCanvas
{
    public FundusCanvas(int width, int height)
    {
        Width = width;
        Height = height;
        R = new float[width * height];
        G = new float[width * height];
        B = new float[width * height];
    }

    public int Width { get; }
    public int Height { get; }
    public float[] R { get; }
    public float[] G { get; }
    public float[] B { get; }

    /// <summary>Blends a colour into one pixel with opacity <paramref name="alpha"/>.</summary>
    public void Blend(int index, Rgb colour, float alpha)
    {
        R[index] += (colour.R - R[index]) * alpha;
        G[index] += (colour.G - G[index]) * alpha;
        B[index] += (colour.B - B[index]) * alpha;
    }

    /// <summary>A filled circle whose edge fades over <paramref name="softness"/> pixels.</summary>
    public void Disc(double cx, double cy, double radius, Rgb colour, double alpha, double softness)
        => Ellipse(cx, cy, radius, radius, 0, colour, alpha, softness);

    /// <summary>A filled, rotated ellipse with a soft edge (softness in pixels, measured along the minor axis).</summary>
    public void Ellipse(double cx, double cy, double semiMajor, double semiMinor, double angle, Rgb colour, double alpha, double softness)
    {
        var reach = semiMajor + softness;
        var (x0, x1, y0, y1) = Clip(cx - reach, cx + reach, cy - reach, cy + reach);
        var cos = Math.Cos(angle);
        var sin = Math.Sin(angle);
        var soft = Math.Max(softness, 0.5);
        for (var y = y0; y <= y1; y++)
        {
            var dy = y - cy;
            var row = y * Width;
            for (var x = x0; x <= x1; x++)
            {
                var dx = x - cx;
                var u = (dx * cos + dy * sin) / semiMajor;
                var v = (-dx * sin + dy * cos) / semiMinor;
                // Distance outside the ellipse, approximately in pixels along the minor axis.
                var outside = (Math.Sqrt(u * u + v * v) - 1) * semiMinor;
                var a = SmoothStep(soft, -soft, outside) * alpha;
                if (a > 0.002)
                {
                    Blend(row + x, colour, (float)a);
                }
            }
        }
    }

    /// <summary>Multiplies brightness by a Gaussian dip: used for the macula, the fovea and shadows.</summary>
    public void Darken(double cx, double cy, double sigma, double depth)
    {
        var reach = sigma * 3.2;
        var (x0, x1, y0, y1) = Clip(cx - reach, cx + reach, cy - reach, cy + reach);
        var inv = 1 / (2 * sigma * sigma);
        for (var y = y0; y <= y1; y++)
        {
            var dy2 = (y - cy) * (y - cy);
            var row = y * Width;
            for (var x = x0; x <= x1; x++)
            {
                var f = (float)(1 - depth * Math.Exp(-((x - cx) * (x - cx) + dy2) * inv));
                var i = row + x;
                R[i] *= f;
                G[i] *= f;
                B[i] *= f;
            }
        }
    }

    /// <summary>Separable running-sum box blur; three passes approximate a Gaussian of sigma ≈ radius·0.8.</summary>
    public void BoxBlur(int radius, int passes)
    {
        if (radius < 1)
        {
            return;
        }

        var scratch = new float[Math.Max(Width, Height)];
        foreach (var plane in new[] { R, G, B })
        {
            for (var p = 0; p < passes; p++)
            {
                BlurRows(plane, radius, scratch);
                BlurColumns(plane, radius, scratch);
            }
        }
    }

    private void BlurRows(float[] plane, int radius, float[] scratch)
    {
        var norm = 1f / (2 * radius + 1);
        for (var y = 0; y < Height; y++)
        {
            var row = y * Width;
            float sum = 0;
            for (var k = -radius; k <= radius; k++)
            {
                sum += plane[row + Math.Clamp(k, 0, Width - 1)];
            }

            for (var x = 0; x < Width; x++)
            {
                scratch[x] = sum * norm;
                sum += plane[row + Math.Min(x + radius + 1, Width - 1)] - plane[row + Math.Max(x - radius, 0)];
            }

            Array.Copy(scratch, 0, plane, row, Width);
        }
    }

    private void BlurColumns(float[] plane, int radius, float[] scratch)
    {
        var norm = 1f / (2 * radius + 1);
        for (var x = 0; x < Width; x++)
        {
            float sum = 0;
            for (var k = -radius; k <= radius; k++)
            {
                sum += plane[Math.Clamp(k, 0, Height - 1) * Width + x];
            }

            for (var y = 0; y < Height; y++)
            {
                scratch[y] = sum * norm;
                sum += plane[Math.Min(y + radius + 1, Height - 1) * Width + x] - plane[Math.Max(y - radius, 0) * Width + x];
            }

            for (var y = 0; y < Height; y++)
            {
                plane[y * Width + x] = scratch[y];
            }
        }
    }

    /// <summary>Quantises to the shared interleaved 8-bit frame.</summary>
    public RgbFrame ToFrame()
    {
        var pixels = new byte[Width * Height * 3];
        for (var i = 0; i < R.Length; i++)
        {
            pixels[i * 3] = ToByte(R[i]);
            pixels[i * 3 + 1] = ToByte(G[i]);
            pixels[i * 3 + 2] = ToByte(B[i]);
        }

        return new RgbFrame(Width, Height, pixels);
    }

    public (int X0, int X1, int Y0, int Y1) Clip(double x0, double x1, double y0, double y1) => (
        Math.Max(0, (int)Math.Floor(x0)),
        Math.Min(Width - 1, (int)Math.Ceiling(x1)),
        Math.Max(0, (int)Math.Floor(y0)),
        Math.Min(Height - 1, (int)Math.Ceiling(y1)));

    /// <summary>0 at <paramref name="edge0"/>, 1 at <paramref name="edge1"/>, smooth in between (either order).</summary>
    public static double SmoothStep(double edge0, double edge1, double x)
    {
        var t = Math.Clamp((x - edge0) / (edge1 - edge0), 0, 1);
        return t * t * (3 - 2 * t);
    }

    private static byte ToByte(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5f);
}

/// <summary>A colour on the 0–255 scale.</summary>
internal readonly record struct Rgb(float R, float G, float B)
{
    public Rgb Scale(double f) => new((float)(R * f), (float)(G * f), (float)(B * f));
}
