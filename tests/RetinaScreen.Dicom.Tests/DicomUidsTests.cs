namespace RetinaScreen.Dicom.Tests;

/// <summary>The UID syntax of PS3.5 9.1 and the value lengths of PS3.5 table 6.2-1, as ingest applies them.</summary>
public sealed class DicomUidsTests
{
    [Theory]
    [InlineData("1.2.840.10008.1.2.1")]
    [InlineData("0")]
    [InlineData("1.0.2")]
    [InlineData("2.25.329800735698586629295641978511506172918")]
    public void REQ_ING_43_Well_formed_uids_are_valid(string uid) => Assert.True(DicomUids.IsValid(uid));

    [Theory]
    [InlineData("")]
    [InlineData("1.2.abc")]
    [InlineData("1.2.é")]
    [InlineData("1.2.03")]
    [InlineData("01.2")]
    [InlineData("1..2")]
    [InlineData(".1.2")]
    [InlineData("1.2.")]
    [InlineData("1.2 ")]
    [InlineData("1.2\0")]
    [InlineData("1.2.٣")]
    public void REQ_ING_43_Malformed_uids_are_invalid(string uid) => Assert.False(DicomUids.IsValid(uid));

    [Fact]
    public void REQ_ING_43_Uids_longer_than_64_characters_are_invalid()
    {
        var sixtyFour = "1." + new string('1', 62);
        Assert.Equal(64, sixtyFour.Length);
        Assert.True(DicomUids.IsValid(sixtyFour));
        Assert.False(DicomUids.IsValid(sixtyFour + "1"));
        Assert.False(DicomUids.IsValid(string.Concat(Enumerable.Repeat("1.", 10_000)) + "11"));
        Assert.False(DicomUids.IsValid(null));
    }

    [Fact]
    public void REQ_ING_43_Values_fit_their_vr_length_limits()
    {
        Assert.True(DicomValueLengths.Fits(DicomVR.LO, new string('x', 64)));
        Assert.False(DicomValueLengths.Fits(DicomVR.LO, new string('x', 65)));
        Assert.True(DicomValueLengths.Fits(DicomVR.SH, new string('x', 16)));
        Assert.False(DicomValueLengths.Fits(DicomVR.SH, new string('x', 17)));
        Assert.False(DicomValueLengths.Fits(DicomVR.CS, new string('X', 17)));
        Assert.True(DicomValueLengths.Fits(DicomVR.DA, "20260105"));
        Assert.True(DicomValueLengths.Fits(DicomVR.DA, "2026.01.05"));
        Assert.False(DicomValueLengths.Fits(DicomVR.DA, "2026-01-05"));
        Assert.False(DicomValueLengths.Fits(DicomVR.DA, "202601051"));
        // PN: 64 characters per component group, at most three groups.
        Assert.True(DicomValueLengths.Fits(DicomVR.PN, new string('A', 64) + "=" + new string('B', 64) + "=" + new string('C', 64)));
        Assert.False(DicomValueLengths.Fits(DicomVR.PN, new string('A', 65)));
        Assert.False(DicomValueLengths.Fits(DicomVR.PN, "A=B=C=D"));
        Assert.True(DicomValueLengths.Fits(DicomVR.LO, null));
    }
}
