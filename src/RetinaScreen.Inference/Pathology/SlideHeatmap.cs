using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Heatmaps;

namespace RetinaScreen.Inference.Pathology;

/// <summary>
/// Draws the patch probabilities over the slide overview: each tissue patch tinted on a blue–yellow–red ramp by its
/// probability (background left as it is), and the top regions outlined, so a pathologist sees where to look first.
/// </summary>
public static class SlideHeatmap
{
    /// <summary>
    /// Encoded as the DR overlay is (<see cref="HeatmapOverlay.EncodePng"/>: stored, unfiltered): deflating the
    /// 1024-pixel overview of H&amp;E texture took 110-380 ms (level 1 to the default level 6) for 1.8-1.9 MiB, up to 40 %
    /// of a 2048-pixel slide's analysis on CPU, while stored blocks take a few milliseconds for 3 MiB, small beside the
    /// slide itself (docs/benchmarks.md, Inference). Lossless either way: the pixels a viewer decodes are the same.
    /// </summary>
    public static byte[] RenderPng(SlideAnalysisResult result) => HeatmapOverlay.EncodePng(Render(result));

    public static RgbFrame Render(SlideAnalysisResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var overview = result.Overview;
        var grid = result.Grid;
        var output = (byte[])overview.Pixels.Clone();
        // Overview pixels per slide pixel, per axis.
        var sx = overview.Width / (double)result.Width;
        var sy = overview.Height / (double)result.Height;
        for (var row = 0; row < grid.Rows; row++)
        {
            for (var column = 0; column < grid.Columns; column++)
            {
                var p = grid[column, row];
                if (float.IsNaN(p))
                {
                    continue;
                }

                var (x0, y0, x1, y1) = Box(column * grid.Stride, row * grid.Stride, grid.PatchSize, sx, sy, overview);
                var (r, g, b) = HeatmapOverlay.Colour(p);
                var alpha = 0.25f + 0.45f * p;
                for (var y = y0; y < y1; y++)
                {
                    for (var x = x0; x < x1; x++)
                    {
                        var i = (y * overview.Width + x) * 3;
                        output[i] = (byte)(overview.Pixels[i] * (1 - alpha) + r * alpha);
                        output[i + 1] = (byte)(overview.Pixels[i + 1] * (1 - alpha) + g * alpha);
                        output[i + 2] = (byte)(overview.Pixels[i + 2] * (1 - alpha) + b * alpha);
                    }
                }
            }
        }

        foreach (var region in result.TopRegions)
        {
            var (x0, y0, x1, y1) = Box(region.X, region.Y, region.Width, sx, sy, overview);
            Outline(output, overview.Width, x0, y0, x1, y1);
        }

        return new RgbFrame(overview.Width, overview.Height, output);
    }

    private static (int X0, int Y0, int X1, int Y1) Box(int x, int y, int size, double sx, double sy, RgbFrame overview)
    {
        var x0 = Math.Clamp((int)Math.Floor(x * sx), 0, overview.Width - 1);
        var y0 = Math.Clamp((int)Math.Floor(y * sy), 0, overview.Height - 1);
        var x1 = Math.Clamp((int)Math.Ceiling((x + size) * sx), x0 + 1, overview.Width);
        var y1 = Math.Clamp((int)Math.Ceiling((y + size) * sy), y0 + 1, overview.Height);
        return (x0, y0, x1, y1);
    }

    /// <summary>A black one-pixel frame: visible on the ramp and on glass alike.</summary>
    private static void Outline(byte[] pixels, int width, int x0, int y0, int x1, int y1)
    {
        for (var x = x0; x < x1; x++)
        {
            Black(pixels, width, x, y0);
            Black(pixels, width, x, y1 - 1);
        }

        for (var y = y0; y < y1; y++)
        {
            Black(pixels, width, x0, y);
            Black(pixels, width, x1 - 1, y);
        }
    }

    private static void Black(byte[] pixels, int width, int x, int y) => pixels.AsSpan((y * width + x) * 3, 3).Clear();
}
