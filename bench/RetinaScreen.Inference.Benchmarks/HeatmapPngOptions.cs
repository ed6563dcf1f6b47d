using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Inference.Heatmaps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Inference.Benchmarks;

/// <summary>
/// <c>--png-options</c>: ways to encode the DR heatmap overlay, timed in one process on the same overlays (the benchmark's
/// synthetic photographs, graded by the model), with their size; every candidate is decoded back and compared with the
/// overlay's pixels, so a fast but wrong encoding cannot win. This is the measurement behind HeatmapOverlay's encoder.
/// </summary>
internal static class HeatmapPngOptions
{
    public static void Run(IReadOnlyList<RgbFrame> overlays, TimeSpan minDuration, TimeSpan maxDuration)
    {
        (string Name, Func<RgbFrame, byte[]> Encode)[] candidates =
        [
            ("ImageSharp level 1, filter default (before)", f => ImageSharpPng(f, PngCompressionLevel.BestSpeed, null)),
            ("ImageSharp level 1, filter None", f => ImageSharpPng(f, PngCompressionLevel.BestSpeed, PngFilterMethod.None)),
            ("ImageSharp level 1, filter Up", f => ImageSharpPng(f, PngCompressionLevel.BestSpeed, PngFilterMethod.Up)),
            ("ImageSharp level 1, filter Sub", f => ImageSharpPng(f, PngCompressionLevel.BestSpeed, PngFilterMethod.Sub)),
            ("ImageSharp level 0 (stored), filter None", f => ImageSharpPng(f, PngCompressionLevel.NoCompression, PngFilterMethod.None)),
            ("ZLibStream Fastest, filter None (own writer)", f => MinimalPng(f, CompressionLevel.Fastest, subFilter: false)),
            ("ZLibStream Fastest, filter Sub (own writer)", f => MinimalPng(f, CompressionLevel.Fastest, subFilter: true)),
            ("ZLibStream NoCompression (own writer)", f => MinimalPng(f, CompressionLevel.NoCompression, subFilter: false)),
            ("HeatmapOverlay.EncodePng (shipped)", HeatmapOverlay.EncodePng),
        ];

        Console.WriteLine();
        Console.WriteLine($"heatmap PNG encode, {overlays.Count} overlays of {overlays[0].Width} px ({overlays[0].Pixels.Length / 1024} KiB raw RGB each)");
        Console.WriteLine($"{"encoder",-48}{"p50 ms",10}{"p99 ms",10}{"KiB mean",10}  same pixels");
        foreach (var (name, encode) in candidates)
        {
            var next = 0;
            var measurement = Measurement.Run(name, 1, () => encode(overlays[next++ % overlays.Count]), warmup: overlays.Count, minRuns: 10 * overlays.Count, minDuration, maxDuration);
            var sizes = overlays.Select(o => encode(o).Length).ToArray();
            var same = overlays.All(o =>
            {
                using var decoded = Image.Load<Rgb24>(encode(o));
                var pixels = new byte[o.Pixels.Length];
                decoded.CopyPixelDataTo(pixels);
                return decoded.Width == o.Width && decoded.Height == o.Height && pixels.AsSpan().SequenceEqual(o.Pixels);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-48}{measurement.P50,10:F2}{measurement.P99,10:F2}{sizes.Average() / 1024,10:F1}  {(same ? "yes" : "NO")}"));
        }
    }

    private static byte[] ImageSharpPng(RgbFrame frame, PngCompressionLevel level, PngFilterMethod? filter)
    {
        var encoder = new PngEncoder { CompressionLevel = level, FilterMethod = filter, ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };
        using var image = Image.LoadPixelData<Rgb24>(frame.Pixels, frame.Width, frame.Height);
        using var png = new MemoryStream();
        image.SaveAsPng(png, encoder);
        return png.ToArray();
    }

    /// <summary>The smallest valid PNG (signature, IHDR, one IDAT, IEND), rows unfiltered or Sub-filtered, deflated by
    /// .NET's zlib: a candidate to see what ImageSharp's encoder costs beyond the deflate itself.</summary>
    private static byte[] MinimalPng(RgbFrame frame, CompressionLevel level, bool subFilter)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, frame.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], frame.Height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB
        WriteChunk(png, "IHDR"u8, header);

        // Filtered rows in one buffer, deflated in one call: per-row writes into the deflater cost more than the rows.
        var row = frame.Width * 3;
        var filtered = new byte[(row + 1) * frame.Height];
        for (var y = 0; y < frame.Height; y++)
        {
            var source = frame.Pixels.AsSpan(y * row, row);
            var target = filtered.AsSpan(y * (row + 1), row + 1);
            target[0] = subFilter ? (byte)1 : (byte)0;
            if (subFilter)
            {
                source[..3].CopyTo(target[1..]);
                for (var x = 3; x < row; x++)
                {
                    target[x + 1] = (byte)(source[x] - source[x - 3]);
                }
            }
            else
            {
                source.CopyTo(target[1..]);
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
        {
            zlib.Write(filtered);
        }

        WriteChunk(png, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(data);
        var crc = Crc32(Crc32(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }

    private static readonly uint[] CrcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    })];

    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }
}
