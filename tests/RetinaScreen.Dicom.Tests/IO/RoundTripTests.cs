using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class RoundTripTests
{
    public static TheoryData<string> Files => new()
    {
        "MR_small.dcm", "CT_small.dcm", "rtplan.dcm", "rtstruct.dcm", "rtdose.dcm", "ExplVR_BigEnd.dcm", "MR_small_bigendian.dcm",
        "image_dfl.dcm", "JPEG-lossy.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_rle_2frame.dcm", "priv_SQ.dcm", "test-SR.dcm",
        "UN_sequence.dcm", "waveform_ecg.dcm", "reportsi.dcm",
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void REQ_DCM_03_write_then_read_keeps_every_element_and_dcmdump_reads_the_result(string name)
    {
        using var temp = new TempFolder();
        var original = DicomFile.Open(TestImages.Pydicom(name));
        var written = temp.File("written.dcm");

        original.Save(written);
        var reread = DicomFile.Open(written);

        Assert.Equal(original.TransferSyntaxUid, reread.TransferSyntaxUid);
        DatasetAssert.Equivalent(original.Dataset, reread.Dataset);
        AssertDcmdumpReadsCleanly(written);
    }

    [Theory]
    [InlineData(DicomUids.ImplicitVrLittleEndian)]
    [InlineData(DicomUids.ExplicitVrLittleEndian)]
    [InlineData(DicomUids.ExplicitVrBigEndian)]
    [InlineData(DicomUids.DeflatedExplicitVrLittleEndian)]
    public void REQ_DCM_03_a_data_set_can_be_rewritten_in_each_uncompressed_transfer_syntax(string transferSyntax)
    {
        using var temp = new TempFolder();
        var original = DicomFile.Open(TestImages.Pydicom("CT_small.dcm"));
        var written = temp.File("written.dcm");

        new DicomFile(original.Dataset, transferSyntax).Save(written);
        var reread = DicomFile.Open(written);

        Assert.Equal(transferSyntax, reread.TransferSyntaxUid);
        DatasetAssert.Equivalent(original.Dataset, reread.Dataset, compareVR: transferSyntax != DicomUids.ImplicitVrLittleEndian);
        AssertDcmdumpReadsCleanly(written);
        var dump = DcmtkTool.RunChecked("dcmdump", "+P", "PatientID", written);
        Assert.Contains(original.Dataset.GetString(DicomTag.PatientId)!, dump, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_03_deferred_pixel_data_is_copied_from_the_source_file_on_save()
    {
        using var temp = new TempFolder();
        var source = TestImages.Pydicom("MR_small.dcm");
        var deferred = DicomFile.Open(source, new DicomReadOptions { DeferValuesLargerThan = 1024 });
        var written = temp.File("written.dcm");

        deferred.Save(written);

        DatasetAssert.Equivalent(DicomFile.Open(source).Dataset, DicomFile.Open(written).Dataset);
    }

    [Fact]
    public void REQ_DCM_03_a_new_ophthalmic_photograph_with_jpeg_frames_is_valid_for_dcmtk()
    {
        using var temp = new TempFolder();
        var dataset = NewOphthalmicPhotograph();
        var frame = TestImages.Fundus(320, 240);
        var syntax = PixelDataWriter.SetJpegBaseline(dataset, [frame, TestImages.Fundus(320, 240)]);
        var path = temp.File("op.dcm");

        new DicomFile(dataset, syntax).Save(path);

        AssertDcmdumpReadsCleanly(path);
        var dump = DcmtkTool.RunChecked("dcmdump", path);
        Assert.Contains("OphthalmicPhotography8BitImageStorage", dump, StringComparison.Ordinal);
        Assert.Contains("JPEG Baseline", dump, StringComparison.Ordinal);
        // DCMTK's own JPEG decoder accepts our encapsulation.
        DcmtkTool.RunChecked("dcmdjpeg", path, temp.File("decompressed.dcm"));
        var decompressed = DicomFile.Open(temp.File("decompressed.dcm"));
        Assert.Equal(2, FrameDecoder.GetFrameCount(decompressed.Dataset));
        Assert.True(TestImages.MeanAbsoluteDifference(frame, FrameDecoder.Decode(decompressed, 1)) < 4);
    }

    [Fact]
    public void REQ_DCM_03_file_meta_information_has_a_correct_group_length_and_our_implementation_uid()
    {
        using var temp = new TempFolder();
        var path = temp.File("meta.dcm");
        var dataset = new DicomDataset()
            .Set(DicomTag.SopClassUid, DicomUids.SecondaryCapture)
            .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.PatientId, "P1");
        var meta = new DicomFile(dataset).Meta with { SourceApplicationEntityTitle = "CAMERA1" };
        using (var stream = File.Create(path))
        {
            FileMetaInformationWriter.Write(stream, meta);
            DicomDatasetWriter.Write(stream, dataset, meta.TransferSyntaxUid);
        }

        var dump = DcmtkTool.RunChecked("dcmdump", "-M", "+L", path);
        Assert.Contains(DicomImplementation.ClassUid, dump, StringComparison.Ordinal);
        Assert.Contains("RETINASCREEN_01", dump, StringComparison.Ordinal);
        Assert.Contains("CAMERA1", dump, StringComparison.Ordinal);
        AssertDcmdumpReadsCleanly(path);

        var read = DicomFile.Open(path);
        Assert.True(read.HasPreamble);
        var groupLength = read.MetaInformation.GetInt32(DicomTag.FileMetaInformationGroupLength)!.Value;
        Assert.Equal(new FileInfo(path).Length, 132 + 12 + groupLength + DicomDatasetWriter.ToArray(dataset, DicomUids.ExplicitVrLittleEndian).Length);
        Assert.Equal("CAMERA1", read.Meta.SourceApplicationEntityTitle);
    }

    [Fact]
    public void REQ_DCM_03_generated_uids_are_2_25_decimal_and_at_most_64_characters()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 1000; i++)
        {
            var uid = DicomUidGenerator.NewUid();
            Assert.StartsWith("2.25.", uid, StringComparison.Ordinal);
            Assert.True(uid.Length <= 64);
            Assert.Matches("^2\\.25\\.(0|[1-9][0-9]*)$", uid);
            Assert.True(seen.Add(uid));
        }

        Assert.Matches("^2\\.25\\.[1-9][0-9]*$", DicomImplementation.ClassUid);
    }

    internal static DicomDataset NewOphthalmicPhotograph() => new DicomDataset()
        .Set(DicomTag.SpecificCharacterSet, "ISO_IR 192")
        .Set(DicomTag.ImageType, "ORIGINAL", "PRIMARY")
        .Set(DicomTag.SopClassUid, DicomUids.OphthalmicPhotography8Bit)
        .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
        .Set(DicomTag.StudyInstanceUid, DicomUidGenerator.NewUid())
        .Set(DicomTag.SeriesInstanceUid, DicomUidGenerator.NewUid())
        .Set(DicomTag.Modality, "OP")
        .Set(DicomTag.PatientName, "Müller^Jürgen")
        .Set(DicomTag.PatientId, "RS-0042")
        .Set(DicomTag.ImageLaterality, "L")
        .Set(DicomTag.AnatomicRegionSequence, new DicomDataset()
            .Set(DicomTag.CodeValue, "T-AA610")
            .Set(DicomTag.CodingSchemeDesignator, "SRT")
            .Set(DicomTag.CodeMeaning, "Retina"));

    private static void AssertDcmdumpReadsCleanly(string path)
    {
        var result = DcmtkTool.Run("dcmdump", "-E", path);
        Assert.True(result.ExitCode == 0, $"dcmdump failed ({result.ExitCode}): {result.StandardError}");
        Assert.DoesNotContain("E: ", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("W: ", result.StandardError, StringComparison.Ordinal);
    }
}
