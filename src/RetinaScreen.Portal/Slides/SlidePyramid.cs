using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using RetinaScreen.Data;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Portal.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace RetinaScreen.Portal.Slides;

/// <summary>
/// What a viewer needs to open a slide as a Deep Zoom pyramid: the full-resolution size, the tile size (tiles are
/// square and do not overlap) and the level of full resolution. Level <c>L</c> is the slide at 1/2^(MaxLevel − L).
/// </summary>
public sealed record SlideDescriptor(int Width, int Height, int TileSize, int MaxLevel);

/// <summary>
/// A whole slide served as a Deep Zoom pyramid. At <see cref="SlideDescriptor.MaxLevel"/> a tile is the stored frame as
/// it is; a frame at the right or bottom edge that reaches past the pixel matrix is cropped to it (decoded and encoded),
/// so every tile has the size a Deep Zoom viewer expects. A lower level's tile is composed from the four tiles of the
/// level above it, halved and encoded. The parsed header (tile map, frame positions in the file) and composed tiles
/// are kept in one memory cache bounded by <see cref="ImagingOptions.TileCacheBytes"/>; stored frames are read from
/// the file at their offset on each request. Only the first focal plane and optical path are shown.
/// </summary>
/// <remarks>
/// Tiles are square with the frame's width (Columns) as their side. A slide whose frames are not square is served in
/// square tiles of the frame width at every level, so its stored frames cannot be sent as they are: at the full
/// resolution such tiles are cut from the decoded frames as lower levels are.
/// </remarks>
public sealed class SlidePyramid : IDisposable
{
    /// <summary>libjpeg-turbo scales a JPEG's DCT by at most 1/8: three levels below full resolution.</summary>
    private const int MaxReducedDepth = 3;

    private readonly IDbContextFactory<RetinaScreenDbContext> _dbFactory;
    private readonly StoredInstanceFiles _files;
    private readonly MemoryCache _cache;

    internal SlidePyramid(IDbContextFactory<RetinaScreenDbContext> dbFactory, StoredInstanceFiles files, IOptions<ImagingOptions> options)
    {
        _dbFactory = dbFactory;
        _files = files;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.TileCacheBytes });
    }

    /// <summary>The pyramid of the VL Whole Slide Microscopy instance with this SOP Instance UID; null when there is no
    /// such slide (unknown, another kind of image, or its object missing from the store).</summary>
    public async Task<SlideDescriptor?> DescribeAsync(string sopInstanceUid, CancellationToken cancellationToken) =>
        (await OpenAsync(sopInstanceUid, cancellationToken))?.Descriptor;

    /// <summary>The JPEG of tile (<paramref name="column"/>, <paramref name="row"/>) at <paramref name="level"/>; null
    /// when the slide or the tile does not exist.</summary>
    internal async Task<byte[]?> TileAsync(string sopInstanceUid, int level, int column, int row, CancellationToken cancellationToken)
    {
        var slide = await OpenAsync(sopInstanceUid, cancellationToken);
        if (slide is null || !slide.Contains(level, column, row))
        {
            return null;
        }

        return Tile(slide, level, column, row);
    }

    public void Dispose() => _cache.Dispose();

    private async Task<Slide?> OpenAsync(string sopInstanceUid, CancellationToken cancellationToken)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        var instance = await db.Instances.AsNoTracking()
            .Where(i => i.SopInstanceUid == sopInstanceUid)
            .Select(i => new { i.SopClassUid, i.StorageKey, i.Sha256 })
            .FirstOrDefaultAsync(cancellationToken);
        if (instance is null || instance.SopClassUid != DicomUids.VlWholeSlideMicroscopyImage)
        {
            return null;
        }

        var key = ("slide", instance.Sha256);
        if (_cache.TryGetValue(key, out Slide? cached))
        {
            return cached;
        }

        DicomFile file;
        try
        {
            file = await _files.OpenAsync(instance.StorageKey, instance.Sha256, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var slide = new Slide(instance.Sha256, file, WholeSlideTileMap.From(file.Dataset));
        // The header's size is roughly its frames' map and fragment list; a slide header is never the smallest entry.
        _cache.Set(key, slide, new MemoryCacheEntryOptions { Size = 4096 + 128L * slide.Map.Tiles.Count, SlidingExpiration = TimeSpan.FromHours(1) });
        return slide;
    }

    private byte[] Tile(Slide slide, int level, int column, int row)
    {
        var key = (slide.Sha256, level, column, row);
        if (_cache.TryGetValue(key, out byte[]? cached))
        {
            return cached!;
        }

        var (width, height) = slide.TileSizeAt(level, column, row);
        if (level == slide.Descriptor.MaxLevel && slide.StoredFrameFits(column, row, width, height) is { } frame)
        {
            // The stored frame is the tile: read at its offset each time, never cached (the file is the cache).
            return StoredFrames.StoredJpeg(slide.File, frame);
        }

        var depth = slide.Descriptor.MaxLevel - level;
        var pixels = depth == 0 ? FullResolution(slide, column, row, width, height)
            : depth <= MaxReducedDepth && slide.SquareFrames ? Reduced(slide, depth, column, row, width, height)
            : Composed(slide, level, column, row, width, height);
        var jpeg = JpegFrameEncoder.Encode(pixels, StoredFrames.EncodeQuality);
        _cache.Set(key, jpeg, new MemoryCacheEntryOptions { Size = jpeg.Length, SlidingExpiration = TimeSpan.FromHours(1) });
        return jpeg;
    }

    /// <summary>A full-resolution tile cut from the stored frames it covers (one, unless frames are not square).</summary>
    private static RgbFrame FullResolution(Slide slide, int column, int row, int width, int height)
    {
        var size = slide.Descriptor.TileSize;
        using var canvas = new Image<Rgb24>(width, height, Color.White.ToPixel<Rgb24>());
        var x0 = column * size;
        var y0 = row * size;
        var map = slide.Map;
        for (var fy = y0 / map.TileRows * map.TileRows; fy < y0 + height; fy += map.TileRows)
        {
            for (var fx = x0 / map.TileColumns * map.TileColumns; fx < x0 + width; fx += map.TileColumns)
            {
                if (map.FrameAt(fx + 1, fy + 1) is not { } frame)
                {
                    continue; // a sparse slide has no frame here: blank glass
                }

                var decoded = FrameDecoder.Decode(slide.File, frame);
                using var image = Image.LoadPixelData<Rgb24>(decoded.Pixels, decoded.Width, decoded.Height);
                canvas.Mutate(c => c.DrawImage(image, new Point(fx - x0, fy - y0), 1f));
            }
        }

        return ToFrame(canvas);
    }

    /// <summary>
    /// A tile up to three levels below full resolution, straight from the stored frames it covers, each decoded at
    /// 1/2, 1/4 or 1/8 of its size by libjpeg-turbo's DCT scaling (ADR 0005): no full-size decode, no intermediate level
    /// encoded and decoded again. Frames of other encodings decode at full size and are halved as needed.
    /// </summary>
    private static RgbFrame Reduced(Slide slide, int depth, int column, int row, int width, int height)
    {
        var scale = 1 << depth;
        var frameSide = slide.Map.TileColumns;
        var reducedSide = (frameSide + scale - 1) / scale;
        var span = slide.Descriptor.TileSize * scale;
        var (x0, y0) = (column * span, row * span);
        using var canvas = new Image<Rgb24>(width, height, Color.White.ToPixel<Rgb24>());
        for (var fy = y0; fy < Math.Min(y0 + span, slide.Descriptor.Height); fy += frameSide)
        {
            for (var fx = x0; fx < Math.Min(x0 + span, slide.Descriptor.Width); fx += frameSide)
            {
                if (slide.Map.FrameAt(fx + 1, fy + 1) is not { } frame)
                {
                    continue; // a sparse slide has no frame here: blank glass
                }

                var decoded = FrameDecoder.Decode(slide.File, frame, minimumSide: reducedSide);
                using var image = Image.LoadPixelData<Rgb24>(decoded.Pixels, decoded.Width, decoded.Height);
                if (decoded.Width != reducedSide)
                {
                    image.Mutate(x => x.Resize(reducedSide, reducedSide, KnownResamplers.Box));
                }

                canvas.Mutate(c => c.DrawImage(image, new Point((fx - x0) / scale, (fy - y0) / scale), 1f));
            }
        }

        return ToFrame(canvas);
    }

    /// <summary>A lower level's tile: the (up to) four tiles of the level above, side by side, halved.</summary>
    private RgbFrame Composed(Slide slide, int level, int column, int row, int width, int height)
    {
        var size = slide.Descriptor.TileSize;
        var (aboveColumns, aboveRows) = slide.TileCount(level + 1);
        var (firstColumn, firstRow) = (column * 2, row * 2);
        var spanWidth = slide.TileSizeAt(level + 1, firstColumn, firstRow).Width
            + (firstColumn + 1 < aboveColumns ? slide.TileSizeAt(level + 1, firstColumn + 1, firstRow).Width : 0);
        var spanHeight = slide.TileSizeAt(level + 1, firstColumn, firstRow).Height
            + (firstRow + 1 < aboveRows ? slide.TileSizeAt(level + 1, firstColumn, firstRow + 1).Height : 0);
        using var canvas = new Image<Rgb24>(spanWidth, spanHeight, Color.White.ToPixel<Rgb24>());
        for (var dy = 0; dy < 2 && firstRow + dy < aboveRows; dy++)
        {
            for (var dx = 0; dx < 2 && firstColumn + dx < aboveColumns; dx++)
            {
                using var child = Image.Load<Rgb24>(Tile(slide, level + 1, firstColumn + dx, firstRow + dy));
                canvas.Mutate(x => x.DrawImage(child, new Point(dx * size, dy * size), 1f));
            }
        }

        // An odd span halves to its rounded-up size (the level's size rounds up too): the box filter stretches it by
        // under one pixel rather than leaving a blank column.
        canvas.Mutate(x => x.Resize(width, height, KnownResamplers.Box));
        return ToFrame(canvas);
    }

    private static RgbFrame ToFrame(Image<Rgb24> image)
    {
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return new RgbFrame(image.Width, image.Height, pixels);
    }

    private sealed class Slide
    {
        public Slide(string sha256, DicomFile file, WholeSlideTileMap map)
        {
            Sha256 = sha256;
            File = file;
            Map = map;
            var side = Math.Max(map.TotalColumns, map.TotalRows);
            // ceil(log2(side)): level 0 is one pixel, MaxLevel the full resolution.
            var maxLevel = side <= 1 ? 0 : BitOperations.Log2((uint)(side - 1)) + 1;
            Descriptor = new SlideDescriptor(map.TotalColumns, map.TotalRows, map.TileColumns, maxLevel);
            BrowserJpeg = StoredFrames.IsBrowserJpeg(file);
        }

        public string Sha256 { get; }

        public DicomFile File { get; }

        public WholeSlideTileMap Map { get; }

        public SlideDescriptor Descriptor { get; }

        public bool BrowserJpeg { get; }

        /// <summary>Square frames of the tile size: a lower level's tile covers whole frames, 2, 4 or 8 a side.</summary>
        public bool SquareFrames => Map.TileColumns == Map.TileRows && Map.TileColumns == Descriptor.TileSize;

        /// <summary>The slide's size at <paramref name="level"/>: each level below the full resolution halves it, rounding up.</summary>
        public (int Width, int Height) SizeAt(int level)
        {
            var shift = Descriptor.MaxLevel - level;
            return ((int)(((long)Descriptor.Width + (1L << shift) - 1) >> shift), (int)(((long)Descriptor.Height + (1L << shift) - 1) >> shift));
        }

        public (int Columns, int Rows) TileCount(int level)
        {
            var (width, height) = SizeAt(level);
            var size = Descriptor.TileSize;
            return ((width + size - 1) / size, (height + size - 1) / size);
        }

        public bool Contains(int level, int column, int row)
        {
            if (level < 0 || level > Descriptor.MaxLevel || column < 0 || row < 0)
            {
                return false;
            }

            var (columns, rows) = TileCount(level);
            return column < columns && row < rows;
        }

        /// <summary>The tile's size: the tile size, less what lies past the right or bottom edge.</summary>
        public (int Width, int Height) TileSizeAt(int level, int column, int row)
        {
            var (width, height) = SizeAt(level);
            var size = Descriptor.TileSize;
            return (Math.Min(size, width - column * size), Math.Min(size, height - row * size));
        }

        /// <summary>The stored frame that is exactly this full-resolution tile, when it can be sent unchanged.</summary>
        public int? StoredFrameFits(int column, int row, int width, int height) =>
            BrowserJpeg && Map.TileRows == Map.TileColumns && width == Map.TileColumns && height == Map.TileRows
                ? Map.FrameAt(column * Map.TileColumns + 1, row * Map.TileRows + 1)
                : null;
    }
}
