using System.Text.Json;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;
using RetinaScreen.Dicom.Tests.IO;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.Json;

public sealed class DicomJsonWriterTests
{
    [Fact]
    public void REQ_DCM_05_json_of_a_new_object_agrees_with_dcm2json()
    {
        using var temp = new TempFolder();
        var dataset = RoundTripTests.NewOphthalmicPhotograph()
            .Set(DicomTag.InstanceNumber, 7)
            .Set(DicomTag.PixelSpacing, 0.0125, 0.0125)
            .Set(DicomTag.HorizontalFieldOfView, DicomVR.FL, "45")
            .Set(DicomTag.OtherPatientIds, "A", string.Empty, "C");
        PixelDataWriter.SetNativeRgb(dataset, [TestImages.Fundus(8, 4)]);
        var path = temp.File("op.dcm");
        new DicomFile(dataset).Save(path);

        var expected = JsonDocument.Parse(DcmtkTool.RunChecked("dcm2json", path)).RootElement;
        var actual = JsonDocument.Parse(DicomJsonWriter.ToJson(DicomFile.Open(path).Dataset)).RootElement;

        var differences = JsonComparison.Differences(expected, actual, new HashSet<string>());
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    [Fact]
    public void REQ_DCM_05_person_names_numbers_binary_and_empty_values_follow_annex_f()
    {
        var dataset = new DicomDataset()
            .Set(DicomTag.PatientName, "Yamada^Tarou=山田^太郎")
            .Set(DicomTag.InstanceNumber, 12)
            .Set(DicomTag.PatientWeight, DicomVR.DS, "72.5")
            .Set(DicomTag.SliceThickness, DicomVR.DS, "+.5")
            .Set(DicomTag.Rows, 480)
            .Set(DicomTag.StudyDescription, string.Empty)
            .Set(DicomTag.FrameIncrementPointer, DicomVR.AT, "(0018,1063)")
            .Set(DicomTag.IccProfile, DicomVR.OB, new byte[] { 1, 2, 3, 4 })
            .Set(DicomTag.ReferencedImageSequence, Array.Empty<DicomDataset>());

        var json = JsonDocument.Parse(DicomJsonWriter.ToJson(dataset)).RootElement;

        var name = json.GetProperty("00100010").GetProperty("Value")[0];
        Assert.Equal("Yamada^Tarou", name.GetProperty("Alphabetic").GetString());
        Assert.Equal("山田^太郎", name.GetProperty("Ideographic").GetString());
        Assert.Equal(12, json.GetProperty("00200013").GetProperty("Value")[0].GetInt32());
        Assert.Equal(72.5, json.GetProperty("00101030").GetProperty("Value")[0].GetDouble());
        Assert.Equal(0.5, json.GetProperty("00180050").GetProperty("Value")[0].GetDouble());
        Assert.Equal(480, json.GetProperty("00280010").GetProperty("Value")[0].GetInt32());
        Assert.False(json.GetProperty("00081030").TryGetProperty("Value", out _));
        Assert.Equal("00181063", json.GetProperty("00280009").GetProperty("Value")[0].GetString());
        Assert.Equal("AQIDBA==", json.GetProperty("00282000").GetProperty("InlineBinary").GetString());
        Assert.Equal("SQ", json.GetProperty("00081140").GetProperty("vr").GetString());
        Assert.Equal("ISO_IR 192", json.GetProperty("00080005").GetProperty("Value")[0].GetString());
    }
}
