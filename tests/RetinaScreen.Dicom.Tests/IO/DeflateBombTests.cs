using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class DeflateBombTests
{
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
        Assert.Contains("inflates to more than the limit of 8388608 bytes", ex.Message, StringComparison.Ordinal);

        bomb.Position = 0;
        var read = DicomFile.Open(bomb);
        Assert.Equal(32 * 1024 * 1024, read.Dataset.GetBytes(DicomTag.EncapsulatedDocument)!.Value.Length);
    }
}
