using System.Diagnostics;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class HostileInputTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData("MR_truncated.dcm")]
    [InlineData("rtplan_truncated.dcm")]
    public void REQ_DCM_02_truncated_files_give_a_format_exception(string name)
    {
        var ex = AssertRefusedFast(() => DicomFile.Open(TestImages.Pydicom(name)));

        Assert.NotNull(ex.Offset);
    }

    [Fact]
    public void REQ_DCM_02_a_file_cut_anywhere_is_read_or_refused_never_crashes()
    {
        var bytes = File.ReadAllBytes(TestImages.Pydicom("CT_small.dcm"));
        for (var cut = 1; cut < bytes.Length; cut += 53)
        {
            var prefix = bytes.AsSpan(0, cut).ToArray();
            try
            {
                DicomFile.Open(new MemoryStream(prefix));
            }
            catch (DicomFormatException)
            {
            }
        }

        // Cut inside pixel data: must be refused, naming the pixel data element.
        var pixelRange = ((DicomPrimitive)DicomFile.Open(TestImages.Pydicom("CT_small.dcm"), new DicomReadOptions { DeferValuesLargerThan = 1024 })
            .Dataset[DicomTag.PixelData]).Buffer.Range!;
        var inside = bytes.AsSpan(0, (int)(pixelRange.Offset + pixelRange.Length / 2)).ToArray();
        var ex = AssertRefusedFast(() => DicomFile.Open(new MemoryStream(inside)));
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void REQ_DCM_02_a_length_claiming_4_GB_is_refused_without_allocating(bool seekable)
    {
        var bytes = RawDicom.Part10()
            .Explicit(0x0010, 0x0020, "LO", 4, "ID01"u8)
            .Explicit(0x0011, 0x1010, "OB", 0xFFFFFFF0, new byte[64])
            .ToArray();
        Stream stream = seekable ? new MemoryStream(bytes) : new ForwardOnlyStream(new MemoryStream(bytes));

        var ex = AssertRefusedFast(() => DicomFile.Open(stream));

        Assert.Equal(new DicomTag(0x0011, 0x1010), ex.Tag);
        Assert.Contains("4294967280", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_02_a_length_larger_than_the_rest_of_a_network_stream_fails_at_its_end()
    {
        var bytes = RawDicom.Part10()
            .Explicit(0x0011, 0x1010, "OB", 300_000_000, new byte[1000])
            .ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();

        AssertRefusedFast(() => DicomFile.Open(new ForwardOnlyStream(new MemoryStream(bytes))));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000, "reading a lying length must not allocate the claimed size");
    }

    [Theory]
    [InlineData(DicomUids.ExplicitVrLittleEndian)]
    [InlineData(DicomUids.ImplicitVrLittleEndian)]
    public void REQ_DCM_02_ten_thousand_deep_nesting_is_refused(string transferSyntax)
    {
        var raw = RawDicom.Part10(transferSyntax);
        for (var i = 0; i < 10_000; i++)
        {
            if (transferSyntax == DicomUids.ExplicitVrLittleEndian)
            {
                raw.Explicit(0x0040, 0xA730, "SQ", 0xFFFFFFFF);
            }
            else
            {
                raw.Implicit(0x0040, 0xA730, 0xFFFFFFFF);
            }

            raw.Item();
        }

        var ex = AssertRefusedFast(() => DicomFile.Open(new MemoryStream(raw.ToArray())));

        Assert.Contains("nested deeper than the limit of 64", ex.Message, StringComparison.Ordinal);
        Assert.Equal(DicomTag.ContentSequence, ex.Tag);
    }

    [Fact]
    public void REQ_DCM_02_an_element_count_bomb_is_refused()
    {
        var raw = RawDicom.Part10().Explicit(0x0040, 0xA730, "SQ", 0xFFFFFFFF);
        for (var i = 0; i < 200_000; i++)
        {
            raw.Item(0);
        }

        raw.SequenceEnd();

        var ex = AssertRefusedFast(() => DicomFile.Open(new MemoryStream(raw.ToArray()), new DicomReadOptions { MaxElementCount = 100_000 }));

        Assert.Contains("More than 100000 elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_02_an_item_longer_than_its_sequence_is_refused()
    {
        var bytes = RawDicom.Part10()
            .Explicit(0x0008, 0x1115, "SQ", 16)
            .Item(200)
            .Explicit(0x0008, 0x1150, "UI", 4, "1.2\0"u8)
            .Explicit(0x0010, 0x0020, "LO", 4, "ID01"u8)
            .ToArray();

        AssertRefusedFast(() => DicomFile.Open(new MemoryStream(bytes)));
    }

    [Fact]
    public void REQ_DCM_02_an_undefined_length_item_without_delimiter_is_refused()
    {
        var bytes = RawDicom.Part10()
            .Explicit(0x0008, 0x1115, "SQ", 0xFFFFFFFF)
            .Item()
            .Explicit(0x0008, 0x1150, "UI", 4, "1.2\0"u8)
            .ToArray();

        var ex = AssertRefusedFast(() => DicomFile.Open(new MemoryStream(bytes)));

        Assert.Contains("undefined length", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_02_an_invalid_explicit_VR_is_refused_with_tag_and_offset()
    {
        var bytes = RawDicom.Part10().Explicit(0x0010, 0x0020, "ZZ", 4, "ID01"u8).ToArray();

        var ex = AssertRefusedFast(() => DicomFile.Open(new MemoryStream(bytes)));

        Assert.Equal(DicomTag.PatientId, ex.Tag);
        Assert.Contains("byte offset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_02_random_corruption_is_read_or_refused_never_crashes()
    {
        var original = File.ReadAllBytes(TestImages.Pydicom("rtplan.dcm"));
        var random = new Random(20260101);
        var stopwatch = Stopwatch.StartNew();
        for (var round = 0; round < 400; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = 0; flips < 8; flips++)
            {
                bytes[random.Next(132, bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                var file = DicomFile.Open(new MemoryStream(bytes));
                _ = DicomJsonWriter.ToJson(file.Dataset);
            }
            catch (DicomFormatException)
            {
            }
        }

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"400 corrupt files took {stopwatch.Elapsed}");
    }

    private static DicomFormatException AssertRefusedFast(Action read)
    {
        var stopwatch = Stopwatch.StartNew();
        var ex = Assert.ThrowsAny<DicomFormatException>(read);
        Assert.True(stopwatch.Elapsed < Fast, $"refusing took {stopwatch.Elapsed}");
        return ex;
    }
}
