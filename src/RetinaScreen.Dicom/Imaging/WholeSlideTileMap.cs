using System.Globalization;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// Where one frame of a VL Whole Slide Microscopy image lies in the total pixel matrix (PS3.3 C.8.12.4):
/// <see cref="Column"/> and <see cref="Row"/> are the 1-based pixel position of the tile's top left corner,
/// as Column/Row Position In Total Image Pixel Matrix (0048,021E/021F) give it.
/// </summary>
public readonly record struct WholeSlideTile(int Frame, int Column, int Row, int FocalPlane, int OpticalPath);

/// <summary>
/// The frame-to-tile map of a VL Whole Slide Microscopy image, for TILED_FULL (positions implied by the frame order:
/// tiles along a row, then rows, then focal planes, then optical paths; PS3.3 C.8.12.4.1.3) and TILED_SPARSE (positions
/// from each frame's Plane Position (Slide) Sequence in the Per-frame Functional Groups).
/// </summary>
public sealed class WholeSlideTileMap
{
    private readonly Dictionary<(int Column, int Row, int FocalPlane, int OpticalPath), int> _byPosition;

    private WholeSlideTileMap(string organization, int totalColumns, int totalRows, int tileColumns, int tileRows, WholeSlideTile[] tiles)
    {
        Organization = organization;
        TotalColumns = totalColumns;
        TotalRows = totalRows;
        TileColumns = tileColumns;
        TileRows = tileRows;
        Tiles = tiles;
        _byPosition = new Dictionary<(int, int, int, int), int>(tiles.Length);
        foreach (var tile in tiles)
        {
            _byPosition.TryAdd((tile.Column, tile.Row, tile.FocalPlane, tile.OpticalPath), tile.Frame);
        }
    }

    /// <summary>TILED_FULL or TILED_SPARSE.</summary>
    public string Organization { get; }

    public int TotalColumns { get; }

    public int TotalRows { get; }

    /// <summary>Width of one tile (Columns).</summary>
    public int TileColumns { get; }

    /// <summary>Height of one tile (Rows).</summary>
    public int TileRows { get; }

    /// <summary>One entry per frame, in frame order.</summary>
    public IReadOnlyList<WholeSlideTile> Tiles { get; }

    /// <summary>The zero-based frame holding the tile whose top left pixel is (column, row), 1-based; null when no frame does (sparse).</summary>
    public int? FrameAt(int column, int row, int focalPlane = 0, int opticalPath = 0) =>
        _byPosition.TryGetValue((column, row, focalPlane, opticalPath), out var frame) ? frame : null;

    /// <summary>Builds the map from the header; only the header is needed (read with StopBeforePixelData).</summary>
    public static WholeSlideTileMap From(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var totalColumns = Required(dataset, DicomTag.TotalPixelMatrixColumns);
        var totalRows = Required(dataset, DicomTag.TotalPixelMatrixRows);
        var tileColumns = Required(dataset, DicomTag.Columns);
        var tileRows = Required(dataset, DicomTag.Rows);
        var frames = dataset.GetInt32(DicomTag.NumberOfFrames, 1);
        var organization = dataset.GetString(DicomTag.DimensionOrganizationType, string.Empty).Trim();
        var perFrame = dataset.GetItems(DicomTag.PerFrameFunctionalGroupsSequence);

        // Without Dimension Organization Type and without per-frame positions, the older rule applies: TILED_FULL.
        if (organization == "TILED_FULL" || (organization.Length == 0 && perFrame.Count == 0))
        {
            return TiledFull(dataset, totalColumns, totalRows, tileColumns, tileRows, frames);
        }

        if (perFrame.Count != frames)
        {
            throw new DicomImagingException(string.Create(CultureInfo.InvariantCulture,
                $"A {(organization.Length == 0 ? "TILED_SPARSE" : organization)} image needs one Per-frame Functional Groups item per frame: {perFrame.Count} items for {frames} frames."));
        }

        var zOffsets = new SortedSet<double>();
        var paths = new List<string>();
        var raw = new (int Column, int Row, double? Z, string? Path)[frames];
        for (var i = 0; i < frames; i++)
        {
            var position = perFrame[i].GetItems(DicomTag.PlanePositionSlideSequence) is [var p, ..] ? p
                : throw new DicomImagingException($"Frame {i} has no Plane Position (Slide) Sequence (0048,021A).");
            double? z = position.TryGetDouble(DicomTag.ZOffsetInSlideCoordinateSystem, 0, out var zv) ? zv : null;
            var path = perFrame[i].GetItems(DicomTag.OpticalPathIdentificationSequence) is [var o, ..] ? o.GetString(DicomTag.OpticalPathIdentifier) : null;
            raw[i] = (Position(position, DicomTag.ColumnPositionInTotalImagePixelMatrix, i), Position(position, DicomTag.RowPositionInTotalImagePixelMatrix, i), z, path);
            if (z is { } zz)
            {
                zOffsets.Add(zz);
            }

            if (path is not null && !paths.Contains(path))
            {
                paths.Add(path);
            }
        }

        var zIndex = zOffsets.Select((z, i) => (z, i)).ToDictionary(t => t.z, t => t.i);
        var tiles = new WholeSlideTile[frames];
        for (var i = 0; i < frames; i++)
        {
            tiles[i] = new WholeSlideTile(i, raw[i].Column, raw[i].Row, raw[i].Z is { } z ? zIndex[z] : 0, raw[i].Path is { } p ? paths.IndexOf(p) : 0);
        }

        return new WholeSlideTileMap("TILED_SPARSE", totalColumns, totalRows, tileColumns, tileRows, tiles);
    }

    private static WholeSlideTileMap TiledFull(DicomDataset dataset, int totalColumns, int totalRows, int tileColumns, int tileRows, int frames)
    {
        var across = (totalColumns + tileColumns - 1) / tileColumns;
        var down = (totalRows + tileRows - 1) / tileRows;
        var focalPlanes = Math.Max(1, dataset.GetInt32(DicomTag.TotalPixelMatrixFocalPlanes, dataset.GetInt32(DicomTag.NumberOfFocalPlanes, 1)));
        var opticalPaths = Math.Max(1, dataset.GetInt32(DicomTag.NumberOfOpticalPaths, 1));
        var expected = (long)across * down * focalPlanes * opticalPaths;
        if (expected != frames)
        {
            throw new DicomImagingException(string.Create(CultureInfo.InvariantCulture,
                $"TILED_FULL {totalColumns}x{totalRows} in {tileColumns}x{tileRows} tiles, {focalPlanes} focal planes and {opticalPaths} optical paths needs {expected} frames; Number of Frames is {frames}."));
        }

        var tiles = new WholeSlideTile[frames];
        for (var i = 0; i < frames; i++)
        {
            var tile = i % (across * down);
            var plane = i / (across * down) % focalPlanes;
            var path = i / (across * down * focalPlanes);
            tiles[i] = new WholeSlideTile(i, tile % across * tileColumns + 1, tile / across * tileRows + 1, plane, path);
        }

        return new WholeSlideTileMap("TILED_FULL", totalColumns, totalRows, tileColumns, tileRows, tiles);
    }

    // Positions may lie left of or above the matrix (PS3.3 C.8.12.4.1.2), so any value is taken.
    private static int Position(DicomDataset position, DicomTag tag, int frame) =>
        position.TryGetInt32(tag, out var value)
            ? value
            : throw new DicomImagingException($"Frame {frame} has no {DicomDictionary.KeywordOf(tag)} {tag}.");

    private static int Required(DicomDataset dataset, DicomTag tag) =>
        dataset.TryGetInt32(tag, out var value) && value > 0
            ? value
            : throw new DicomImagingException($"A whole slide image needs a positive {DicomDictionary.KeywordOf(tag)} {tag}.");
}
