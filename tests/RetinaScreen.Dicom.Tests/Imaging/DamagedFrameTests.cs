using System.Buffers.Binary;
using System.Diagnostics;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.IO;
using RetinaScreen.Dicom.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Dicom.Tests.Imaging;

/// <summary>
/// Damaged photographs are refused by both decode paths — ImageSharp at full size and libjpeg-turbo (SkiaSharp) reduced —
/// and by the structural check ingest runs, never decoded into a frame with invented rows. Each damaged stream is made
/// here from an intact JPEG written by the toolkit's own encoder; the intact one decodes, so each refusal is the damage's.
/// </summary>
public sealed class DamagedFrameTests
{
    /// <summary>Full size (ImageSharp) for 0; 512 forces the reduced path (SkiaSharp) on the 1024-pixel photograph.</summary>
    public static TheoryData<int> Paths => new() { 0, 512 };

    [Theory]
    [MemberData(nameof(Paths))]
    public void REQ_PIPE_20_the_intact_photograph_decodes_on_both_paths(int minimumSide)
    {
        var file = Photograph(Jpeg());

        var frame = Decode(file, minimumSide);

        Assert.Equal(minimumSide == 0 ? 1024 : 512, frame.Width);
        Assert.Null(PixelDataIntegrity.FindDamage(file.Dataset, file.TransferSyntaxUid));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void REQ_PIPE_20_a_photograph_cut_at_85_percent_is_refused_as_damaged(int minimumSide)
    {
        var jpeg = Jpeg();
        var file = Photograph(jpeg[..(jpeg.Length * 85 / 100 & ~1)]);

        AssertDamaged(() => Decode(file, minimumSide), "cut short");
        Assert.Contains("end-of-image", PixelDataIntegrity.FindDamage(file.Dataset, file.TransferSyntaxUid), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void REQ_PIPE_20_a_photograph_cut_at_60_percent_with_an_end_of_image_marker_appended_is_refused(int minimumSide)
    {
        var jpeg = Jpeg();
        var file = Photograph([.. jpeg[..(jpeg.Length * 60 / 100)], 0xFF, 0xD9]);

        AssertDamaged(() => Decode(file, minimumSide), "ends at a marker in MCU");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void REQ_PIPE_20_a_photograph_whose_rows_and_columns_disagree_with_its_jpeg_is_refused_by_both_paths_and_at_ingest(int minimumSide)
    {
        var file = Photograph(Jpeg());
        file.Dataset.Set(DicomTag.Rows, 1536).Set(DicomTag.Columns, 2048);

        AssertDamaged(() => Decode(file, minimumSide), "JPEG is 1024x1024, data set says 2048x1536");
        Assert.Contains("1024x1024", PixelDataIntegrity.FindDamage(file.Dataset, file.TransferSyntaxUid), StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_PIPE_20_a_colour_jpeg_declared_as_one_sample_per_pixel_is_refused()
    {
        var file = Photograph(Jpeg());
        file.Dataset.Set(DicomTag.SamplesPerPixel, 1).Set(DicomTag.PhotometricInterpretation, "MONOCHROME2");

        AssertDamaged(() => FrameDecoder.Decode(file), "3 components");
        Assert.Contains("3 components", PixelDataIntegrity.FindDamage(file.Dataset, file.TransferSyntaxUid), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void REQ_PIPE_20_a_header_claiming_65500_pixels_square_over_a_few_kilobytes_is_refused_without_allocating(int minimumSide)
    {
        var jpeg = Jpeg(side: 256);
        var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65500);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65500);
        var file = Photograph(jpeg);
        file.Dataset.Set(DicomTag.Rows, 65500).Set(DicomTag.Columns, 65500);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();

        AssertDamaged(() => Decode(file, minimumSide), "cannot hold a 65500x65500 image");

        Assert.True(watch.ElapsedMilliseconds < 1000, $"refused after {watch.ElapsedMilliseconds} ms");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 16 << 20, "the refusal allocated the image");
        Assert.Contains("cannot hold", PixelDataIntegrity.FindDamage(file.Dataset, file.TransferSyntaxUid), StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_PIPE_20_native_pixel_data_of_12_bytes_under_a_65535_square_header_is_refused()
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetNativeRgb(dataset, [TestImages.Fundus(2, 2)]);
        dataset.Set(DicomTag.Rows, 65535).Set(DicomTag.Columns, 65535);

        AssertDamaged(() => FrameDecoder.Decode(dataset), "holds 12 bytes");
        Assert.Contains("holds 12 bytes", PixelDataIntegrity.FindDamage(dataset, DicomUids.ExplicitVrLittleEndian), StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_PIPE_20_native_pixel_data_one_row_short_is_refused_and_whole_native_data_is_not()
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetNativeRgb(dataset, [TestImages.Fundus(64, 48)]);
        Assert.Null(PixelDataIntegrity.FindDamage(dataset, DicomUids.ExplicitVrLittleEndian));
        var whole = ((DicomPrimitive)dataset[DicomTag.PixelData]).Buffer.Memory.ToArray();
        dataset.Add(new DicomPrimitive(DicomTag.PixelData, DicomVR.OB, new DicomBuffer(whole.AsMemory(0, whole.Length - 64 * 3))));

        AssertDamaged(() => FrameDecoder.Decode(dataset), "needs bytes 0 to 9216");
        Assert.Contains("needs 9216", PixelDataIntegrity.FindDamage(dataset, DicomUids.ExplicitVrLittleEndian), StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_PIPE_20_a_frame_header_without_a_scan_is_refused()
    {
        var jpeg = Jpeg(side: 16);
        var sos = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var file = Photograph([.. jpeg[..sos], 0xFF, 0xD9]);

        AssertDamaged(() => FrameDecoder.Decode(file), "no scan");
    }

    [Fact]
    public void REQ_PIPE_20_a_scan_whose_data_runs_on_past_its_last_block_is_refused()
    {
        // The header of a 256-pixel image over the scan of a 1024-pixel one: the data set and the frame header agree,
        // and every block is present, but what follows is the rest of another image.
        var small = Jpeg(side: 256);
        var large = Jpeg(side: 1024);
        var smallScan = small.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var largeScan = large.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var file = Photograph([.. small[..smallScan], .. large[largeScan..]]);
        file.Dataset.Set(DicomTag.Rows, 256).Set(DicomTag.Columns, 256);

        AssertDamaged(() => FrameDecoder.Decode(file), "follows the last block");
    }

    [Theory]
    [InlineData("JPEG-lossy.dcm")]
    [InlineData("JPGExtended.dcm")]
    [InlineData("SC_rgb_jpeg_dcmtk.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cr.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+n1.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+n2.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+np.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+s2.dcm")]
    [InlineData("SC_rgb_dcmtk_+eb+cy+s4.dcm")]
    [InlineData("SC_jpeg_no_color_transform.dcm")]
    [InlineData("SC_jpeg_no_color_transform_2.dcm")]
    public void REQ_PIPE_20_whole_jpeg_frames_from_other_encoders_pass_the_checks(string name)
    {
        var file = DicomFile.Open(TestImages.Pydicom(name), new DicomReadOptions { DeferValuesLargerThan = 16 * 1024 });

        Assert.Null(PixelDataIntegrity.FindDamage(file.Dataset, file.TransferSyntaxUid));
        for (var frame = 0; frame < FrameDecoder.GetFrameCount(file.Dataset); frame++)
        {
            var info = PixelDataInfo.From(file.Dataset);
            var bytes = FrameDecoder.GetEncapsulatedFrame((DicomFragmentSequence)file.Dataset[DicomTag.PixelData], frame, info.NumberOfFrames);
            JpegIntegrity.Verify(bytes, info.Columns, info.Rows, info.SamplesPerPixel);
        }
    }

    [Fact]
    public void REQ_PIPE_20_random_damage_to_a_stream_is_refused_or_passed_never_crashes_the_check()
    {
        var jpeg = Jpeg(side: 64);
        var random = new Random(961_050);
        for (var trial = 0; trial < 2000; trial++)
        {
            var damaged = jpeg.ToArray();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            }

            var cut = damaged[..random.Next(2, damaged.Length + 1)];
            try
            {
                JpegIntegrity.Verify(cut, 64, 64, 3);
            }
            catch (DicomImagingException ex)
            {
                Assert.True(ex.ImageDataDamaged, ex.Message);
            }
        }
    }

    [Fact]
    public void REQ_PIPE_20_restart_markers_in_place_pass_and_a_missing_or_misnumbered_one_is_refused()
    {
        var whole = GreyWithRestarts(skip: null, swap: false);
        // The stream is a valid JPEG by ImageSharp's reading: 16x16 mid-grey, four MCUs, a restart marker between each.
        using (var image = Image.Load<L8>(whole))
        {
            Assert.Equal((16, 16), (image.Width, image.Height));
        }

        JpegIntegrity.Verify(whole, 16, 16, 1);
        var missing = Assert.Throws<DicomImagingException>(() => JpegIntegrity.Verify(GreyWithRestarts(skip: 1, swap: false), 16, 16, 1));
        Assert.Contains("restart marker is missing before MCU 2", missing.Message, StringComparison.Ordinal);
        var misnumbered = Assert.Throws<DicomImagingException>(() => JpegIntegrity.Verify(GreyWithRestarts(skip: null, swap: true), 16, 16, 1));
        Assert.Contains("restart marker is missing before MCU 1", misnumbered.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A 16x16 grey JPEG with a restart interval of one MCU, its scan written here bit by bit from the Huffman tables
    /// ImageSharp's encoder put in the header: each 8x8 block is a zero DC difference and an end-of-block.
    /// </summary>
    /// <param name="skip">Leave out the restart marker after this MCU.</param>
    /// <param name="swap">Number the first two restart markers the wrong way round.</param>
    private static byte[] GreyWithRestarts(int? skip, bool swap)
    {
        using var source = new Image<L8>(16, 16, new L8(128));
        using var encoded = new MemoryStream();
        source.SaveAsJpeg(encoded, new JpegEncoder { Quality = 90, ColorType = JpegColorType.Luminance });
        var jpeg = encoded.ToArray();
        var (dc, ac) = ZeroDcAndEndOfBlockCodes(jpeg);
        var scan = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var scanLength = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(scan + 2));
        var stream = new List<byte>(jpeg[..scan]) { 0xFF, 0xDD, 0x00, 0x04, 0x00, 0x01 };
        stream.AddRange(jpeg[scan..(scan + 2 + scanLength)]);
        var restart = 0;
        for (var mcu = 0; mcu < 4; mcu++)
        {
            if (mcu > 0 && mcu != skip + 1)
            {
                var number = swap && restart < 2 ? 1 - restart : restart;
                stream.AddRange([0xFF, (byte)(0xD0 + number)]);
            }

            if (mcu > 0)
            {
                restart++;
            }

            var bits = dc + ac;
            bits += new string('1', (8 - bits.Length % 8) % 8);
            for (var i = 0; i < bits.Length; i += 8)
            {
                var value = Convert.ToByte(bits.Substring(i, 8), 2);
                stream.Add(value);
                if (value == 0xFF)
                {
                    stream.Add(0x00);
                }
            }
        }

        stream.AddRange([0xFF, 0xD9]);
        return [.. stream];
    }

    /// <summary>The codes (as bit strings) of DC category 0 and of AC end-of-block in the stream's first DC and AC tables.</summary>
    private static (string Dc, string Ac) ZeroDcAndEndOfBlockCodes(byte[] jpeg)
    {
        string? dc = null, ac = null;
        var i = 2;
        while (jpeg[i + 1] != 0xDA)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(i + 2));
            if (jpeg[i + 1] == 0xC4)
            {
                var at = i + 4;
                while (at < i + 2 + length)
                {
                    var tableClass = jpeg[at] >> 4;
                    var counts = jpeg.AsSpan(at + 1, 16).ToArray();
                    var values = jpeg.AsSpan(at + 17, counts.Sum(c => c)).ToArray();
                    int code = 0, k = 0;
                    for (var bits = 1; bits <= 16; bits++, code <<= 1)
                    {
                        for (var n = 0; n < counts[bits - 1]; n++, k++, code++)
                        {
                            if (values[k] == 0)
                            {
                                var text = Convert.ToString(code, 2).PadLeft(bits, '0');
                                if (tableClass == 0) { dc ??= text; } else { ac ??= text; }
                            }
                        }
                    }

                    at += 17 + values.Length;
                }
            }

            i += 2 + length;
        }

        return (dc ?? throw new InvalidOperationException("no DC table"), ac ?? throw new InvalidOperationException("no AC table"));
    }

    private static void AssertDamaged(Func<RgbFrame> decode, string detail)
    {
        var ex = Assert.Throws<DicomImagingException>(() => decode());
        Assert.True(ex.ImageDataDamaged, ex.Message);
        Assert.StartsWith(DicomImagingException.DamagedPrefix, ex.Message, StringComparison.Ordinal);
        Assert.Contains(detail, ex.Message, StringComparison.Ordinal);
    }

    private static RgbFrame Decode(DicomFile file, int minimumSide) =>
        minimumSide == 0 ? FrameDecoder.Decode(file) : FrameDecoder.Decode(file, 0, minimumSide);

    private static byte[] Jpeg(int side = 1024) => JpegFrameEncoder.Encode(TestImages.Fundus(side, side), quality: 92);

    /// <summary>An Ophthalmic Photography object (YBR_FULL_422, JPEG baseline) around <paramref name="jpeg"/>, whose
    /// Rows and Columns are the intact stream's.</summary>
    private static DicomFile Photograph(byte[] jpeg)
    {
        var frame = JpegIntegrity.ReadFrameHeader(jpeg) ?? throw new InvalidOperationException("the test's JPEG has no frame header");
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [TestImages.Fundus(8, 8)]);
        dataset.Set(DicomTag.Rows, frame.Height).Set(DicomTag.Columns, frame.Width);
        // Fragments have an even length (PS3.5 A.4): an odd stream gets one zero byte of padding.
        var padded = jpeg.Length % 2 == 0 ? jpeg : [.. jpeg, 0x00];
        dataset.Add(new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, DicomBuffer.Empty, [new DicomBuffer(padded)]));
        return new DicomFile(dataset, DicomUids.JpegBaseline);
    }
}
