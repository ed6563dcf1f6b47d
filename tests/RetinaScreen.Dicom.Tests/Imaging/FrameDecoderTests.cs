using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.IO;
using RetinaScreen.Dicom.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Dicom.Tests.Imaging;

public sealed class FrameDecoderTests
{
    [Fact]
    public void REQ_DCM_04_jpeg_baseline_from_img2dcm_ophthalmic_photography_decodes_close_to_the_source()
    {
        using var temp = new TempFolder();
        var source = TestImages.Fundus(400, 300);
        TestImages.SaveJpeg(source, temp.File("fundus.jpg"));
        DcmtkTool.RunChecked("img2dcm", ["-oph", .. TestImages.OphthalmicKeys(), temp.File("fundus.jpg"), temp.File("op.dcm")]);

        var file = DicomFile.Open(temp.File("op.dcm"));
        var frame = FrameDecoder.Decode(file);

        Assert.Equal(DicomUids.OphthalmicPhotography8Bit, file.Dataset.GetUid(DicomTag.SopClassUid));
        Assert.Equal(DicomUids.JpegBaseline, file.TransferSyntaxUid);
        Assert.Equal(400, frame.Width);
        Assert.Equal(300, frame.Height);
        Assert.True(TestImages.MeanAbsoluteDifference(source, frame) < 3, $"MAD {TestImages.MeanAbsoluteDifference(source, frame)}");
        using var direct = Image.Load<Rgb24>(temp.File("fundus.jpg"));
        var directPixels = new byte[400 * 300 * 3];
        direct.CopyPixelDataTo(directPixels);
        Assert.Equal(directPixels, frame.Pixels);
    }

    [Fact]
    public void REQ_DCM_04_jpeg_in_a_secondary_capture_from_img2dcm_decodes()
    {
        using var temp = new TempFolder();
        var source = TestImages.Fundus(128, 96);
        TestImages.SaveJpeg(source, temp.File("fundus.jpg"));
        DcmtkTool.RunChecked("img2dcm", temp.File("fundus.jpg"), temp.File("sc.dcm"));

        var file = DicomFile.Open(temp.File("sc.dcm"));

        Assert.Equal(DicomUids.SecondaryCapture, file.Dataset.GetUid(DicomTag.SopClassUid));
        Assert.True(TestImages.MeanAbsoluteDifference(source, FrameDecoder.Decode(file)) < 3);
    }

    [Fact]
    public void REQ_DCM_04_native_rgb_from_img2dcm_bmp_decodes_exactly()
    {
        using var temp = new TempFolder();
        var source = TestImages.Fundus(90, 60);
        TestImages.SaveBmp(source, temp.File("fundus.bmp"));
        DcmtkTool.RunChecked("img2dcm", "-i", "BMP", temp.File("fundus.bmp"), temp.File("native.dcm"));

        var file = DicomFile.Open(temp.File("native.dcm"));

        Assert.Equal("RGB", file.Dataset.GetString(DicomTag.PhotometricInterpretation));
        Assert.Equal(source.Pixels, FrameDecoder.Decode(file).Pixels);
    }

    [Fact]
    public void REQ_DCM_04_planar_configuration_1_is_interleaved()
    {
        var source = TestImages.Fundus(31, 17);
        var count = source.Width * source.Height;
        var planar = new byte[count * 3 + 1];
        for (var i = 0; i < count; i++)
        {
            planar[i] = source.Pixels[i * 3];
            planar[count + i] = source.Pixels[i * 3 + 1];
            planar[2 * count + i] = source.Pixels[i * 3 + 2];
        }

        var dataset = ImageHeader(source, "RGB", planar: 1).Set(DicomTag.PixelData, DicomVR.OB, planar);

        Assert.Equal(source.Pixels, FrameDecoder.Decode(dataset, 0, DicomUids.ExplicitVrLittleEndian).Pixels);
    }

    [Fact]
    public void REQ_DCM_04_ybr_full_and_ybr_full_422_native_convert_to_rgb()
    {
        var source = TestImages.Fundus(64, 40);
        var count = source.Width * source.Height;
        var full = new byte[count * 3];
        for (var i = 0; i < count; i++)
        {
            double r = source.Pixels[i * 3], g = source.Pixels[i * 3 + 1], b = source.Pixels[i * 3 + 2];
            full[i * 3] = ToByte(0.299 * r + 0.587 * g + 0.114 * b);
            full[i * 3 + 1] = ToByte(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
            full[i * 3 + 2] = ToByte(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
        }

        var sub = new byte[count * 2];
        for (int i = 0, o = 0; i < count; i += 2, o += 4)
        {
            sub[o] = full[i * 3];
            sub[o + 1] = full[(i + 1) * 3];
            sub[o + 2] = (byte)((full[i * 3 + 1] + full[(i + 1) * 3 + 1]) / 2);
            sub[o + 3] = (byte)((full[i * 3 + 2] + full[(i + 1) * 3 + 2]) / 2);
        }

        var fromFull = FrameDecoder.Decode(ImageHeader(source, "YBR_FULL").Set(DicomTag.PixelData, DicomVR.OB, full), 0, DicomUids.ExplicitVrLittleEndian);
        var from422 = FrameDecoder.Decode(ImageHeader(source, "YBR_FULL_422").Set(DicomTag.PixelData, DicomVR.OB, sub), 0, DicomUids.ExplicitVrLittleEndian);

        Assert.True(TestImages.MeanAbsoluteDifference(source, fromFull) < 1.0);
        Assert.True(TestImages.MeanAbsoluteDifference(source, from422) < 2.0);
    }

    [Fact]
    public void REQ_DCM_04_pydicom_ybr_full_422_uncompressed_decodes_like_its_jpeg_original()
    {
        var native = FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom("SC_ybr_full_422_uncompressed.dcm")));
        var jpeg = FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom("SC_rgb_jpeg_dcmtk.dcm")));

        Assert.True(TestImages.MeanAbsoluteDifference(jpeg, native) < 4, $"MAD {TestImages.MeanAbsoluteDifference(jpeg, native)}");
    }

    [Fact]
    public void REQ_DCM_04_rgb_jpeg_without_colour_transform_decodes_like_the_transformed_one()
    {
        var plain = FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom("SC_rgb_dcmtk_+eb+cr.dcm")));
        var transformed = FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom("SC_rgb_jpeg_dcmtk.dcm")));

        Assert.True(TestImages.MeanAbsoluteDifference(transformed, plain) < 4, $"MAD {TestImages.MeanAbsoluteDifference(transformed, plain)}");
    }

    [Fact]
    public void REQ_DCM_04_monochrome_16_bit_is_windowed_to_8_bit_and_monochrome1_is_inverted()
    {
        var file = DicomFile.Open(TestImages.Pydicom("MR_small.dcm"));
        var mono2 = FrameDecoder.Decode(file);
        file.Dataset.Set(DicomTag.PhotometricInterpretation, "MONOCHROME1");
        var mono1 = FrameDecoder.Decode(file);

        Assert.Equal(64, mono2.Width);
        // Window 600/1600 maps the stored range onto many grey levels, white for the brightest tissue.
        Assert.True(mono2.Pixels.Distinct().Count() > 50);
        Assert.Contains(mono2.Pixels, p => p == 255);
        for (var i = 0; i < mono2.Pixels.Length; i++)
        {
            Assert.Equal(255 - mono2.Pixels[i], mono1.Pixels[i]);
        }
    }

    [Fact]
    public void REQ_DCM_04_monochrome_8_bit_uses_the_window()
    {
        var gray = new byte[16 * 2];
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)(i * 8);
        }

        var dataset = new DicomDataset()
            .Set(DicomTag.Rows, 2).Set(DicomTag.Columns, 16).Set(DicomTag.SamplesPerPixel, 1)
            .Set(DicomTag.PhotometricInterpretation, "MONOCHROME2")
            .Set(DicomTag.BitsAllocated, 8).Set(DicomTag.BitsStored, 8).Set(DicomTag.HighBit, 7).Set(DicomTag.PixelRepresentation, 0)
            .Set(DicomTag.WindowCenter, 128.0).Set(DicomTag.WindowWidth, 256.0)
            .Set(DicomTag.PixelData, DicomVR.OB, gray);

        var frame = FrameDecoder.Decode(dataset, 0, DicomUids.ExplicitVrLittleEndian);

        for (var i = 0; i < gray.Length; i++)
        {
            Assert.InRange(frame.Pixels[i * 3], gray[i] - 1, gray[i] + 1);
        }
    }

    [Fact]
    public void REQ_DCM_04_frames_of_a_multi_frame_jpeg_object_are_found_with_or_without_offset_table()
    {
        var first = TestImages.Fundus(80, 60);
        var second = new RgbFrame(80, 60, first.Pixels.Select(p => (byte)(255 - p)).ToArray());
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [first, second], quality: 95);

        Assert.True(TestImages.MeanAbsoluteDifference(second, FrameDecoder.Decode(dataset, 1)) < 4);

        var pixels = (DicomFragmentSequence)dataset[DicomTag.PixelData];
        dataset.Add(new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, DicomBuffer.Empty, pixels.Fragments));
        Assert.True(TestImages.MeanAbsoluteDifference(second, FrameDecoder.Decode(dataset, 1)) < 4);
        Assert.True(TestImages.MeanAbsoluteDifference(first, FrameDecoder.Decode(dataset, 0)) < 4);
    }

    [Fact]
    public void REQ_DCM_04_frames_decode_from_deferred_pixel_data()
    {
        using var temp = new TempFolder();
        var source = TestImages.Fundus(90, 60);
        TestImages.SaveBmp(source, temp.File("fundus.bmp"));
        DcmtkTool.RunChecked("img2dcm", "-i", "BMP", temp.File("fundus.bmp"), temp.File("native.dcm"));

        var file = DicomFile.Open(temp.File("native.dcm"), new DicomReadOptions { DeferValuesLargerThan = 4096 });

        Assert.True(((DicomPrimitive)file.Dataset[DicomTag.PixelData]).Buffer.IsDeferred);
        Assert.Equal(source.Pixels, FrameDecoder.Decode(file).Pixels);
    }

    [Theory]
    [InlineData("JPEG2000.dcm", "1.2.840.10008.1.2.4.91")]
    [InlineData("MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80")]
    [InlineData("MR_small_jp2klossless.dcm", "1.2.840.10008.1.2.4.90")]
    public void REQ_DCM_04_an_undecodable_transfer_syntax_is_named(string name, string uid)
    {
        var ex = Assert.Throws<DicomImagingException>(() => FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom(name))));

        Assert.Contains(uid, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_04_rle_lossless_decodes_exactly_like_the_uncompressed_original()
    {
        var rle = FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom("MR_small_RLE.dcm")));
        var native = FrameDecoder.Decode(DicomFile.Open(TestImages.Pydicom("MR_small.dcm")));

        Assert.Equal(native.Pixels, rle.Pixels);
    }

    [Fact]
    public void REQ_DCM_04_rle_rgb_frames_decode_like_dcmtk_decompresses_them()
    {
        using var temp = new TempFolder();
        var source = TestImages.Pydicom("SC_rgb_rle_2frame.dcm");
        DcmtkTool.RunChecked("dcmdrle", source, temp.File("native.dcm"));
        var rle = DicomFile.Open(source);
        var native = DicomFile.Open(temp.File("native.dcm"));

        Assert.Equal(2, FrameDecoder.GetFrameCount(rle.Dataset));
        for (var frame = 0; frame < 2; frame++)
        {
            Assert.Equal(FrameDecoder.Decode(native, frame).Pixels, FrameDecoder.Decode(rle, frame).Pixels);
        }
    }

    [Fact]
    public void REQ_DCM_04_twelve_bit_jpeg_extended_is_windowed_like_the_dcmtk_decompressed_image()
    {
        using var temp = new TempFolder();
        var source = TestImages.Pydicom("JPEG-lossy.dcm");
        DcmtkTool.RunChecked("dcmdjpeg", source, temp.File("native.dcm"));

        var jpeg = FrameDecoder.Decode(DicomFile.Open(source));
        var native = FrameDecoder.Decode(DicomFile.Open(temp.File("native.dcm")));

        // Different IDCTs (ImageSharp float, libjpeg integer) leave a small residual at 12 bits.
        Assert.True(TestImages.MeanAbsoluteDifference(native, jpeg) < 4, $"MAD {TestImages.MeanAbsoluteDifference(native, jpeg)}");
    }

    [Fact]
    public void REQ_DCM_02_a_corrupt_jpeg_fragment_gives_an_imaging_error_not_a_crash()
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [TestImages.Fundus(64, 48)]);
        var garbage = new byte[2000];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0xFF;
        garbage[1] = 0xD8;
        dataset.Add(new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, DicomBuffer.Empty, [new DicomBuffer(garbage)]));

        Assert.Throws<DicomImagingException>(() => FrameDecoder.Decode(dataset));
    }

    [Fact]
    public void REQ_DCM_04_a_jpeg_larger_than_rows_and_columns_claim_is_refused_before_decoding()
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [TestImages.Fundus(320, 240)]);
        dataset.Set(DicomTag.Rows, 24).Set(DicomTag.Columns, 32);

        var ex = Assert.Throws<DicomImagingException>(() => FrameDecoder.Decode(dataset));

        Assert.Contains("320x240", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_04_the_jpeg_encoder_round_trips_within_jpeg_loss()
    {
        var source = TestImages.Fundus(200, 150);

        var jpeg = JpegFrameEncoder.Encode(source, quality: 92);

        Assert.Equal(0xFF, jpeg[0]);
        Assert.Equal(0xD8, jpeg[1]);
        using var image = Image.Load<Rgb24>(jpeg);
        var pixels = new byte[200 * 150 * 3];
        image.CopyPixelDataTo(pixels);
        Assert.True(TestImages.MeanAbsoluteDifference(source, new RgbFrame(200, 150, pixels)) < 3);
    }

    private static DicomDataset ImageHeader(RgbFrame frame, string photometric, int planar = 0) => new DicomDataset()
        .Set(DicomTag.Rows, frame.Height).Set(DicomTag.Columns, frame.Width).Set(DicomTag.SamplesPerPixel, 3)
        .Set(DicomTag.PhotometricInterpretation, photometric).Set(DicomTag.PlanarConfiguration, planar)
        .Set(DicomTag.BitsAllocated, 8).Set(DicomTag.BitsStored, 8).Set(DicomTag.HighBit, 7).Set(DicomTag.PixelRepresentation, 0);

    private static byte ToByte(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
