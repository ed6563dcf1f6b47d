using System.Text;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Tests;

public sealed class DicomDatasetTests
{
    [Fact]
    public void Elements_stay_in_tag_order_and_set_replaces()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.PatientId, "B")
            .Set(DicomTag.Modality, "OP")
            .Set(DicomTag.PatientName, "A^B")
            .Set(DicomTag.PatientId, "C");

        Assert.Equal([DicomTag.Modality, DicomTag.PatientName, DicomTag.PatientId], dataset.Select(e => e.Tag).ToArray());
        Assert.Equal("C", dataset.GetString(DicomTag.PatientId));
    }

    [Fact]
    public void Getters_trim_padding_and_split_values()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.SopInstanceUid, "1.2.3")
            .Set(DicomTag.ImageType, "ORIGINAL", "PRIMARY ")
            .Set(DicomTag.NumberOfFrames, 3)
            .Set(DicomTag.PatientComments, DicomVR.LT, "  indented");

        Assert.Equal(6, ((DicomPrimitive)dataset[DicomTag.SopInstanceUid]).Length);
        Assert.Equal("1.2.3", dataset.GetUid(DicomTag.SopInstanceUid));
        Assert.Equal(["ORIGINAL", "PRIMARY"], dataset.GetStrings(DicomTag.ImageType));
        Assert.Equal(3, dataset.GetInt32(DicomTag.NumberOfFrames));
        Assert.Equal("  indented", dataset.GetString(DicomTag.PatientComments));
        Assert.Null(dataset.GetString(DicomTag.AccessionNumber));
        Assert.Equal("none", dataset.GetString(DicomTag.AccessionNumber, "none"));
    }

    [Fact]
    public void Binary_numbers_are_read_in_their_vr()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.Rows, 1024)
            .Set(DicomTag.PixelIntensityRelationshipSign, -1)
            .Set(DicomTag.TotalPixelMatrixColumns, 100_000)
            .Set(DicomTag.HorizontalFieldOfView, DicomVR.FL, "45.5");

        Assert.Equal(2, ((DicomPrimitive)dataset[DicomTag.Rows]).Length);
        Assert.Equal(1024, dataset.GetInt32(DicomTag.Rows));
        Assert.Equal(-1, dataset.GetInt32(DicomTag.PixelIntensityRelationshipSign));
        Assert.Equal(100_000, dataset.GetInt32(DicomTag.TotalPixelMatrixColumns));
        Assert.Equal(45.5, dataset.GetDouble(DicomTag.HorizontalFieldOfView));
    }

    [Fact]
    public void Iso_ir_100_and_utf8_text_is_decoded()
    {
        var latin1 = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, "ISO_IR 100")
            .Set(DicomTag.PatientName, DicomVR.OB, Encoding.Latin1.GetBytes("Müller^Jürgen"));
        var latin1Name = new DicomDataset(latin1.Select(e => e.Tag == DicomTag.PatientName
            ? new DicomPrimitive(DicomTag.PatientName, DicomVR.PN, ((DicomPrimitive)e).Buffer)
            : e));
        var utf8 = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, "ISO_IR 192")
            .Add(new DicomPrimitive(DicomTag.PatientName, DicomVR.PN, Encoding.UTF8.GetBytes("Ἐπιστήμη^中")));

        Assert.Equal("Müller^Jürgen", latin1Name.GetString(DicomTag.PatientName));
        Assert.Equal("Ἐπιστήμη^中", utf8.GetString(DicomTag.PatientName));
    }

    [Fact]
    public void Non_ascii_text_declares_utf8_and_survives_a_round_trip()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.SopClassUid, DicomUids.SecondaryCapture)
            .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.PatientName, "Øster^Åse");
        using var stream = new MemoryStream();

        new DicomFile(dataset).Save(stream);
        stream.Position = 0;
        var read = DicomFile.Open(stream);

        Assert.Equal("ISO_IR 192", read.Dataset.GetString(DicomTag.SpecificCharacterSet));
        Assert.Equal("Øster^Åse", read.Dataset.GetString(DicomTag.PatientName));
    }

    [Fact]
    public void Sequence_items_inherit_the_character_set()
    {
        var item = new DicomDataset().Add(new DicomPrimitive(DicomTag.CodeMeaning, DicomVR.LO, Encoding.Latin1.GetBytes("Rétine")));
        var dataset = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, "ISO_IR 100")
            .Set(DicomTag.AnatomicRegionSequence, item);

        Assert.Equal("Rétine", dataset.GetItems(DicomTag.AnatomicRegionSequence)[0].GetString(DicomTag.CodeMeaning));
    }

    [Theory]
    [InlineData("ISO_IR 999")]
    [InlineData("KLINGON")]
    public void Unknown_character_sets_are_reported_by_name(string term)
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, term)
            .Add(new DicomPrimitive(DicomTag.PatientName, DicomVR.PN, "X^Y "u8.ToArray()));

        var ex = Assert.Throws<DicomCharacterSetException>(() => dataset.GetString(DicomTag.PatientName));

        Assert.Contains(term, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void REQ_DCM_07_iso_2022_escape_sequences_are_decoded_and_unknown_ones_reported()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, string.Empty, "ISO 2022 IR 87")
            .Add(new DicomPrimitive(DicomTag.PatientName, DicomVR.PN, "Yamada^Tarou=\u001b$B;3ED\u001b(B^\u001b$BB@O:\u001b(B"u8.ToArray()))
            .Add(new DicomPrimitive(DicomTag.PatientComments, DicomVR.LT, "\u001b$)Z??"u8.ToArray()));

        Assert.Equal("Yamada^Tarou=山田^太郎", dataset.GetString(DicomTag.PatientName));
        var ex = Assert.Throws<DicomCharacterSetException>(() => dataset.GetString(DicomTag.PatientComments));
        Assert.Contains("ISO 2022 IR 87", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tags_parse_from_text_and_keywords()
    {
        Assert.Equal(DicomTag.PatientId, DicomTag.Parse("(0010,0020)"));
        Assert.Equal(DicomTag.PatientId, DicomTag.Parse("00100020"));
        Assert.Equal(DicomTag.PatientId, DicomTag.Parse("PatientID"));
        Assert.Equal("(7FE0,0010)", DicomTag.PixelData.ToString());
        Assert.True(new DicomTag(0x0009, 0x0010).IsPrivateCreator);
        Assert.Equal(DicomVR.UN, DicomDictionary.ImplicitVR(new DicomTag(0x0009, 0x1001)));
        Assert.Equal(DicomVR.LO, DicomDictionary.ImplicitVR(new DicomTag(0x0009, 0x0010)));
        Assert.Equal(34, DicomVR.All.Count);
    }
}
