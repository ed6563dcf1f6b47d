using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.IO;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.Imaging;

/// <summary>Large colour JPEG photographs decoded reduced by libjpeg-turbo's DCT scaling (ADR 0005).</summary>
public sealed class ReducedJpegDecodeTests
{
    [Theory]
    [InlineData(4096, 4096, 512, 8)]
    [InlineData(3000, 2000, 512, 2)]
    [InlineData(3000, 3000, 512, 4)]
    [InlineData(2048, 1536, 384, 4)]
    [InlineData(1024, 1024, 512, 2)]
    [InlineData(1023, 1023, 512, 1)]
    [InlineData(768, 768, 512, 1)]
    [InlineData(100_000, 80_000, 512, 8)]
    public void REQ_DCM_04_the_reduction_is_the_largest_that_keeps_the_shorter_side(int columns, int rows, int minimumSide, int expected)
    {
        Assert.Equal(expected, ScaledJpegDecoder.Reduction(columns, rows, minimumSide));
    }

    [Fact]
    public void REQ_DCM_04_a_large_photograph_decodes_reduced_close_to_an_area_average_of_its_full_decode()
    {
        var file = JpegPhotograph(TestImages.Fundus(2048, 1536));

        var reduced = FrameDecoder.Decode(file, 0, minimumSide: 384);
        var full = FrameDecoder.Decode(file);

        Assert.Equal((512, 384), (reduced.Width, reduced.Height));
        var averaged = AreaAverage(full, 4);
        var mad = TestImages.MeanAbsoluteDifference(averaged, reduced);
        Assert.True(mad < 1.0, $"mean absolute difference {mad:F2} grey levels");
    }

    [Fact]
    public void REQ_DCM_04_a_photograph_too_small_to_reduce_decodes_exactly_as_at_full_size()
    {
        var file = JpegPhotograph(TestImages.Fundus(800, 600));

        var decoded = FrameDecoder.Decode(file, 0, minimumSide: 512);

        var full = FrameDecoder.Decode(file);
        Assert.Equal((full.Width, full.Height), (decoded.Width, decoded.Height));
        Assert.Equal(full.Pixels, decoded.Pixels);
    }

    [Fact]
    public void REQ_DCM_02_a_truncated_jpeg_is_refused_when_decoding_reduced()
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [TestImages.Fundus(2048, 2048)]);
        var whole = ((DicomFragmentSequence)dataset[DicomTag.PixelData]).Fragments[0].Memory.ToArray();
        dataset.Add(new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB, DicomBuffer.Empty, [new DicomBuffer(whole.AsMemory(0, whole.Length / 2 & ~1))]));

        var ex = Assert.Throws<DicomImagingException>(() => FrameDecoder.Decode(new DicomFile(dataset, DicomUids.JpegBaseline), 0, minimumSide: 256));

        Assert.True(ex.ImageDataDamaged, ex.Message);
    }

    [Fact]
    public void REQ_DCM_04_a_jpeg_larger_than_rows_and_columns_claim_is_refused_before_decoding_reduced()
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [TestImages.Fundus(2048, 2048)]);
        dataset.Set(DicomTag.Rows, 1024).Set(DicomTag.Columns, 1024);

        var ex = Assert.Throws<DicomImagingException>(() => FrameDecoder.Decode(new DicomFile(dataset, DicomUids.JpegBaseline), 0, minimumSide: 256));

        Assert.Contains("2048x2048", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_04_native_pixel_data_is_never_reduced()
    {
        var source = TestImages.Fundus(1200, 1100);
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetNativeRgb(dataset, [source]);

        var decoded = FrameDecoder.Decode(new DicomFile(dataset), 0, minimumSide: 256);

        Assert.Equal(source.Pixels, decoded.Pixels);
    }

    private static DicomFile JpegPhotograph(RgbFrame frame)
    {
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetJpegBaseline(dataset, [frame], quality: 92);
        return new DicomFile(dataset, DicomUids.JpegBaseline);
    }

    private static RgbFrame AreaAverage(RgbFrame frame, int factor)
    {
        var width = frame.Width / factor;
        var height = frame.Height / factor;
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var sum = 0;
                    for (var dy = 0; dy < factor; dy++)
                    {
                        for (var dx = 0; dx < factor; dx++)
                        {
                            sum += frame.Pixels[((y * factor + dy) * frame.Width + x * factor + dx) * 3 + c];
                        }
                    }

                    pixels[(y * width + x) * 3 + c] = (byte)((sum + factor * factor / 2) / (factor * factor));
                }
            }
        }

        return new RgbFrame(width, height, pixels);
    }
}
