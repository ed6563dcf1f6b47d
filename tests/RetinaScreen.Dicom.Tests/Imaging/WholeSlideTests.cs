using System.Buffers.Binary;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.Imaging;

public sealed class WholeSlideTests
{
    private const string VlWholeSlideMicroscopy = "1.2.840.10008.5.1.4.1.1.77.1.6";

    [Fact]
    public void REQ_DCM_08_tiled_full_frames_map_to_tiles_focal_planes_and_optical_paths()
    {
        // 1000x600 in 256x256 tiles: 4 across (the last one partial), 3 down; 2 focal planes, 2 optical paths.
        var dataset = SlideHeader(1000, 600, 256, 256, frames: 4 * 3 * 2 * 2, focalPlanes: 2, opticalPaths: 2);

        var map = WholeSlideTileMap.From(dataset);

        Assert.Equal("TILED_FULL", map.Organization);
        Assert.Equal(48, map.Tiles.Count);
        Assert.Equal(new WholeSlideTile(0, 1, 1, 0, 0), map.Tiles[0]);
        Assert.Equal(new WholeSlideTile(3, 769, 1, 0, 0), map.Tiles[3]);
        Assert.Equal(new WholeSlideTile(4, 1, 257, 0, 0), map.Tiles[4]);
        Assert.Equal(new WholeSlideTile(12, 1, 1, 1, 0), map.Tiles[12]);
        Assert.Equal(new WholeSlideTile(47, 769, 513, 1, 1), map.Tiles[47]);
        Assert.Equal(29, map.FrameAt(257, 257, focalPlane: 0, opticalPath: 1));
    }

    [Fact]
    public void REQ_DCM_08_tiled_full_with_the_wrong_frame_count_is_refused()
    {
        var dataset = SlideHeader(1000, 600, 256, 256, frames: 11, focalPlanes: 1, opticalPaths: 1);

        var ex = Assert.Throws<DicomImagingException>(() => WholeSlideTileMap.From(dataset));
        Assert.Contains("needs 12 frames", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_08_tiled_sparse_frames_take_their_plane_position()
    {
        var dataset = SlideHeader(2048, 2048, 512, 512, frames: 3, focalPlanes: 1, opticalPaths: 1);
        dataset.Set(DicomTag.DimensionOrganizationType, "TILED_SPARSE");
        dataset.Set(DicomTag.PerFrameFunctionalGroupsSequence,
            PerFrame(1537, 1, 0.0), PerFrame(1, 513, 0.0), PerFrame(1, 513, 2.5));

        var map = WholeSlideTileMap.From(dataset);

        Assert.Equal("TILED_SPARSE", map.Organization);
        Assert.Equal(new WholeSlideTile(0, 1537, 1, 0, 0), map.Tiles[0]);
        Assert.Equal(new WholeSlideTile(2, 1, 513, 1, 0), map.Tiles[2]);
        Assert.Equal(1, map.FrameAt(1, 513));
        Assert.Null(map.FrameAt(1, 1));
    }

    /// <summary>
    /// A 302 MB slide (8000x6000 in 256x256 RGB tiles, 2 focal planes: 1,536 frames) written to disk: the header and
    /// the map come from a header-only read, and frames decode one at a time from the file, never loading the pixel data.
    /// </summary>
    [Fact]
    public void REQ_DCM_08_frames_of_a_large_slide_are_read_one_at_a_time_from_disk()
    {
        using var temp = new TempFolder();
        var path = temp.File("slide.dcm");
        const int tile = 256;
        var frames = 32 * 24 * 2;
        WriteSlide(path, SlideHeader(8000, 6000, tile, tile, frames, focalPlanes: 2, opticalPaths: 1), frames, tile);
        Assert.True(new FileInfo(path).Length > 300_000_000);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var header = DicomFile.Open(path, new DicomReadOptions { StopBeforePixelData = true });
        var map = WholeSlideTileMap.From(header.Dataset);
        var file = DicomFile.Open(path, new DicomReadOptions { DeferValuesLargerThan = 64 * 1024 });
        foreach (var frame in new[] { 0, 777, frames - 1 })
        {
            var rgb = FrameDecoder.Decode(file, frame);
            Assert.Equal((byte)frame, rgb.Pixels[0]);
            Assert.Equal((byte)(frame >> 8), rgb.Pixels[1]);
            Assert.Equal(map.Tiles[frame].Column, 1 + frame % (32 * 24) % 32 * tile);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 16 * 1024 * 1024, $"reading 3 frames of a 302 MB file allocated {allocated / 1024 / 1024} MB");
        Assert.Equal(new WholeSlideTile(frames - 1, 7937, 5889, 1, 0), map.Tiles[^1]);
    }

    private static DicomDataset SlideHeader(int totalColumns, int totalRows, int tileColumns, int tileRows, int frames, int focalPlanes, int opticalPaths) =>
        new DicomDataset()
            .Set(DicomTag.SopClassUid, VlWholeSlideMicroscopy)
            .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.Rows, tileRows).Set(DicomTag.Columns, tileColumns)
            .Set(DicomTag.SamplesPerPixel, 3).Set(DicomTag.PhotometricInterpretation, "RGB").Set(DicomTag.PlanarConfiguration, 0)
            .Set(DicomTag.BitsAllocated, 8).Set(DicomTag.BitsStored, 8).Set(DicomTag.HighBit, 7).Set(DicomTag.PixelRepresentation, 0)
            .Set(DicomTag.NumberOfFrames, frames)
            .Set(DicomTag.TotalPixelMatrixColumns, totalColumns).Set(DicomTag.TotalPixelMatrixRows, totalRows)
            .Set(DicomTag.TotalPixelMatrixFocalPlanes, focalPlanes).Set(DicomTag.NumberOfOpticalPaths, opticalPaths)
            .Set(DicomTag.DimensionOrganizationType, "TILED_FULL");

    private static DicomDataset PerFrame(int column, int row, double z) =>
        new DicomDataset().Set(DicomTag.PlanePositionSlideSequence, new DicomDataset()
            .Set(DicomTag.ColumnPositionInTotalImagePixelMatrix, column)
            .Set(DicomTag.RowPositionInTotalImagePixelMatrix, row)
            .Set(DicomTag.ZOffsetInSlideCoordinateSystem, z));

    /// <summary>Header through the writer, then the pixel data streamed frame by frame: frame i's first pixel is (i, i >> 8, 0).</summary>
    private static void WriteSlide(string path, DicomDataset header, int frames, int tile)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        new DicomFile(header).Save(stream);
        var frameLength = tile * tile * 3;
        Span<byte> element = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(element, 0x7FE0);
        BinaryPrimitives.WriteUInt16LittleEndian(element[2..], 0x0010);
        element[4] = (byte)'O';
        element[5] = (byte)'B';
        BinaryPrimitives.WriteUInt32LittleEndian(element[8..], (uint)(frameLength * frames));
        stream.Write(element);
        var pixels = new byte[frameLength];
        for (var i = 0; i < frames; i++)
        {
            for (var p = 0; p < frameLength; p += 3)
            {
                pixels[p] = (byte)i;
                pixels[p + 1] = (byte)(i >> 8);
                pixels[p + 2] = (byte)(p / 3 % tile);
            }

            stream.Write(pixels);
        }
    }
}
