using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class DatasetCodecTests
{
    [Fact]
    public void REQ_DCM_03_a_command_set_is_written_with_its_group_length_first()
    {
        var command = new DicomDataset()
            .Set(DicomTag.AffectedSopClassUid, DicomUids.Verification)
            .Set(DicomTag.CommandField, 0x0030)
            .Set(DicomTag.MessageId, 1)
            .Set(DicomTag.CommandDataSetType, 0x0101);

        var bytes = DicomDatasetWriter.ToArray(command, DicomUids.ImplicitVrLittleEndian);

        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal((uint)(bytes.Length - 12), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        var read = DicomDatasetReader.Read(new MemoryStream(bytes), DicomUids.ImplicitVrLittleEndian);
        Assert.Equal(0x0030, read.GetInt32(DicomTag.CommandField));
        Assert.Equal(DicomUids.Verification, read.GetUid(DicomTag.AffectedSopClassUid));
    }

    [Fact]
    public void REQ_DCM_01_values_that_arrive_as_UN_are_read_with_the_dictionary_VR()
    {
        var dataset = new DicomDataset()
            .Add(new DicomPrimitive(DicomTag.PatientId, DicomVR.UN, Encoding.ASCII.GetBytes("UN-7 ")))
            .Add(new DicomPrimitive(DicomTag.Rows, DicomVR.UN, new byte[] { 0x00, 0x02 }));

        Assert.Equal("UN-7", dataset.GetString(DicomTag.PatientId));
        Assert.Equal(512, dataset.GetInt32(DicomTag.Rows));
    }

    [Fact]
    public void REQ_DCM_01_the_header_of_a_20_MB_image_is_read_without_touching_its_pixels()
    {
        using var temp = new TempFolder();
        var path = temp.File("large.dcm");
        var dataset = RoundTripTests.NewOphthalmicPhotograph();
        PixelDataWriter.SetNativeRgb(dataset, [new RgbFrame(2600, 2600, new byte[2600 * 2600 * 3])]);
        new DicomFile(dataset).Save(path);
        Assert.True(new FileInfo(path).Length > 20_000_000);
        DicomFile.Open(path, new DicomReadOptions { StopBeforePixelData = true });

        var before = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var header = DicomFile.Open(path, new DicomReadOptions { StopBeforePixelData = true });
            Assert.Equal("RS-0042", header.Dataset.GetString(DicomTag.PatientId));
        }

        stopwatch.Stop();
        var allocatedPerRead = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        Assert.True(stopwatch.ElapsedMilliseconds < 1000, $"20 header reads took {stopwatch.ElapsedMilliseconds} ms");
        Assert.True(allocatedPerRead < 512 * 1024, $"a header read allocated {allocatedPerRead} bytes");

        var deferred = DicomFile.Open(path, new DicomReadOptions { DeferValuesLargerThan = 64 * 1024 });
        Assert.True(((DicomPrimitive)deferred.Dataset[DicomTag.PixelData]).Buffer.IsDeferred);
        Assert.Equal(2600, FrameDecoder.Decode(deferred).Width);
    }
}
