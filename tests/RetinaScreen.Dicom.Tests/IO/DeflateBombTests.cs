using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class DeflateBombTests
{
    private const int Side = 96;
    private static readonly DicomTag BombTag = new(0x0011, 0x1010);

    /// <summary>What ingest asks of a header read: every value over 16 KiB left where it is.</summary>
    private static readonly DicomReadOptions HeaderOptions = new() { DeferValuesLargerThan = 16 * 1024, MaxDepth = 16, MaxElementCount = 100_000 };

    /// <summary>32 MB of zeros deflate to about 32 KB; the reader stops at its inflation limit, before reading them all.</summary>
    [Fact]
    public void REQ_DCM_10_a_deflated_data_set_that_inflates_past_the_limit_is_refused()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.SopClassUid, "1.2.840.10008.5.1.4.1.1.7")
            .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.EncapsulatedDocument, DicomVR.OB, new byte[32 * 1024 * 1024]);
        using var bomb = new MemoryStream();
        new DicomFile(dataset, DicomUids.DeflatedExplicitVrLittleEndian).Save(bomb);
        Assert.True(bomb.Length < 256 * 1024, $"the bomb is {bomb.Length} bytes");

        bomb.Position = 0;
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Open(bomb, new DicomReadOptions { MaxInflatedLength = 8 * 1024 * 1024 }));
        Assert.Contains("inflates past the limit of 8388608 bytes", ex.Message, StringComparison.Ordinal);

        bomb.Position = 0;
        var read = DicomFile.Open(bomb);
        Assert.Equal(32 * 1024 * 1024, read.Dataset.GetBytes(DicomTag.EncapsulatedDocument)!.Value.Length);
    }

    [Fact]
    public void REQ_DCM_11_the_default_inflation_limit_is_far_below_a_gigabyte()
    {
        Assert.Equal(128L * 1024 * 1024, DicomReadOptions.Default.MaxInflatedLength);
        Assert.Equal(DicomReadOptions.DefaultMaxInflatedLength, new DicomReadOptions().MaxInflatedLength);
    }

    /// <summary>
    /// A 256 MiB private OB of zeros deflated to a few hundred kilobytes: read by path as ingest reads a header, it
    /// is inflated past and dropped, never held, and the values behind it are still there when asked for.
    /// </summary>
    [Fact]
    public void REQ_DCM_11_a_deflate_bomb_within_the_limit_is_read_with_its_large_values_deferred_in_little_memory()
    {
        using var temp = new TempFolder();
        var path = temp.File("bomb.dcm");
        var tail = Pattern(100_000, seed: 7);
        WriteBomb(path, 256L * 1024 * 1024, tail);
        Assert.True(new FileInfo(path).Length < 1024 * 1024, $"the bomb is {new FileInfo(path).Length} bytes");

        var options = HeaderOptions with { MaxInflatedLength = 512L * 1024 * 1024 };
        var (file, allocated) = Measure(() => DicomFile.Open(path, options));

        Assert.True(allocated < 2 * 1024 * 1024, $"a header read of the bomb allocated {allocated:N0} bytes");
        var bomb = ((DicomPrimitive)file.Dataset[BombTag]).Buffer;
        Assert.True(bomb.IsDeferred);
        Assert.Equal(256L * 1024 * 1024, bomb.Length);
        Assert.Equal(DicomUids.SecondaryCapture, file.Dataset.GetString(DicomTag.SopClassUid));

        // The deferred value behind the bomb is inflated again when used: whole, in part, and streamed.
        var deferredTail = ((DicomPrimitive)file.Dataset[TailTag]).Buffer;
        Assert.True(deferredTail.IsDeferred);
        Assert.Equal(tail, deferredTail.Memory.ToArray());
        var middle = new byte[1000];
        deferredTail.Read(50_000, middle);
        Assert.Equal(tail.AsSpan(50_000, 1000).ToArray(), middle);
        using var copy = new MemoryStream();
        deferredTail.CopyTo(copy);
        Assert.Equal(tail, copy.ToArray());
    }

    [Fact]
    public void REQ_DCM_11_a_deflate_bomb_over_the_callers_limit_is_refused_in_little_memory_and_time()
    {
        using var temp = new TempFolder();
        var path = temp.File("bomb.dcm");
        WriteBomb(path, 256L * 1024 * 1024, Pattern(100, seed: 1));
        var options = HeaderOptions with { MaxInflatedLength = 64L * 1024 * 1024 };

        var clock = Stopwatch.StartNew();
        var (ex, allocated) = Measure(() => Assert.Throws<DicomFormatException>(() => DicomFile.Open(path, options)));

        Assert.Contains("Deflated data set inflates past the limit of 67108864 bytes", ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 2 * 1024 * 1024, $"refusing the bomb allocated {allocated:N0} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusing the bomb took {clock.Elapsed}");

        // Opened as a stream (no file to defer to), the limit holds the same way.
        using var stream = File.OpenRead(path);
        var fromStream = Assert.Throws<DicomFormatException>(() => DicomFile.Open(stream, options));
        Assert.Contains("inflates past the limit", fromStream.Message, StringComparison.Ordinal);

        // The default limit (128 MiB) refuses it too, and so does every reader that keeps the default.
        Assert.Contains("inflates past the limit of 134217728 bytes", Assert.Throws<DicomFormatException>(() => DicomFile.Open(path, HeaderOptions)).Message, StringComparison.Ordinal);
    }

    /// <summary>The same data set, deflated or not, read with the same options: the same values are deferred.</summary>
    [Fact]
    public void REQ_DCM_11_a_deflated_file_defers_exactly_the_values_an_uncompressed_one_defers()
    {
        using var temp = new TempFolder();
        var dataset = Photograph(Pattern(Side * Side * 3, seed: 3))
            .Set(new DicomTag(0x0011, 0x0010), DicomVR.LO, "BOMB")
            .Set(new DicomTag(0x0011, 0x1012), DicomVR.OB, Pattern(20_000, seed: 4))
            .Set(new DicomTag(0x0011, 0x1013), DicomVR.OB, Pattern(1_000, seed: 5));
        var plainPath = temp.File("plain.dcm");
        var deflatedPath = temp.File("deflated.dcm");
        new DicomFile(dataset, DicomUids.ExplicitVrLittleEndian).Save(plainPath);
        new DicomFile(dataset, DicomUids.DeflatedExplicitVrLittleEndian).Save(deflatedPath);

        var plain = DicomFile.Open(plainPath, HeaderOptions);
        var deflated = DicomFile.Open(deflatedPath, HeaderOptions);

        static IEnumerable<(DicomTag Tag, bool Deferred)> Deferral(DicomFile file) =>
            file.Dataset.OfType<DicomPrimitive>().Select(e => (e.Tag, e.Buffer.IsDeferred));
        Assert.Equal(Deferral(plain), Deferral(deflated));
        Assert.True(((DicomPrimitive)deflated.Dataset[DicomTag.PixelData]).Buffer.IsDeferred);
        Assert.NotNull(((DicomPrimitive)deflated.Dataset[DicomTag.PixelData]).Buffer.Range!.DeflatedFrom);

        // Native pixel data left in the deflated file decodes to the same frame as the uncompressed file's.
        Assert.Equal(FrameDecoder.Decode(plain).Pixels, FrameDecoder.Decode(deflated).Pixels);
    }

    [Fact]
    public void REQ_DCM_11_a_deflated_file_cut_inside_a_deferred_value_is_refused_when_read()
    {
        using var temp = new TempFolder();
        var dataset = Photograph(Pattern(Side * Side * 3, seed: 3));
        var whole = temp.File("whole.dcm");
        new DicomFile(dataset, DicomUids.DeflatedExplicitVrLittleEndian).Save(whole);
        var bytes = File.ReadAllBytes(whole);
        var cut = temp.File("cut.dcm");
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length - 2000).ToArray());

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Open(cut, HeaderOptions));

        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    private static readonly DicomTag TailTag = new(0x0011, 0x1011);

    private static DicomDataset Photograph(byte[] pixels) => new DicomDataset()
        .Set(DicomTag.SopClassUid, DicomUids.SecondaryCapture)
        .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
        .Set(DicomTag.SamplesPerPixel, 3)
        .Set(DicomTag.PhotometricInterpretation, "RGB")
        .Set(DicomTag.PlanarConfiguration, 0)
        .Set(DicomTag.Rows, Side)
        .Set(DicomTag.Columns, Side)
        .Set(DicomTag.BitsAllocated, 8)
        .Set(DicomTag.BitsStored, 8)
        .Set(DicomTag.HighBit, 7)
        .Set(DicomTag.PixelRepresentation, 0)
        .Set(DicomTag.PixelData, DicomVR.OB, pixels);

    /// <summary>
    /// Meta information, then deflate of: a few header elements, a private OB of <paramref name="zeros"/> zero bytes
    /// streamed from one small buffer (the test never holds it either), and a private OB holding <paramref name="tail"/>.
    /// </summary>
    private static void WriteBomb(string path, long zeros, byte[] tail)
    {
        using var output = File.Create(path);
        var instance = DicomUidGenerator.NewUid();
        FileMetaInformationWriter.Write(output, new FileMetaInformation(DicomUids.SecondaryCapture, instance, DicomUids.DeflatedExplicitVrLittleEndian));
        using var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true);
        var head = new DicomDataset()
            .Set(DicomTag.SopClassUid, DicomUids.SecondaryCapture)
            .Set(DicomTag.SopInstanceUid, instance)
            .Set(DicomTag.PatientId, "BOMB-1")
            .Set(new DicomTag(0x0011, 0x0010), DicomVR.LO, "BOMB");
        deflate.Write(DicomDatasetWriter.ToArray(head, DicomUids.ExplicitVrLittleEndian));
        deflate.Write(ObHeader(BombTag, (uint)zeros));
        var chunk = new byte[1024 * 1024];
        for (var left = zeros; left > 0; left -= chunk.Length)
        {
            deflate.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }

        deflate.Write(ObHeader(TailTag, (uint)tail.Length));
        deflate.Write(tail);
    }

    private static byte[] ObHeader(DicomTag tag, uint length)
    {
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(header, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), tag.Element);
        header[4] = (byte)'O';
        header[5] = (byte)'B';
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), length);
        return header;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static (T Result, long Allocated) Measure<T>(Func<T> action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = action();
        return (result, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
