using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;

namespace RetinaScreen.Integration.Tests.Infrastructure;

/// <summary>Fundus photographs made the way a clinic would: a camera JPEG turned into DICOM by DCMTK's img2dcm.</summary>
internal static class TestImages
{
    /// <summary>A gradable synthetic fundus photograph as a baseline JPEG file.</summary>
    public static string FundusJpeg(string folder, int seed, int grade = 2)
    {
        var image = FundusSynthesizer.Generate(seed, new FundusSpec { Grade = grade, UngradableFraction = 0 });
        var path = Path.Combine(folder, $"fundus-{seed}.jpg");
        File.WriteAllBytes(path, JpegFrameEncoder.Encode(image.Frame, 92));
        return path;
    }

    /// <summary>
    /// img2dcm as Ophthalmic Photography 8 Bit, with the type 1 attributes that IOD requires given on the command
    /// line (PS3.3 A.39), new UIDs each time.
    /// </summary>
    /// <param name="studyInstanceUid">Puts the photograph in this study (both eyes of one visit); a new study when null.</param>
    /// <param name="institution">The clinic's name (InstitutionName), which the reading room shows as the site.</param>
    public static async Task<string> Img2DcmOphthalmicAsync(
        string jpeg, string output, string laterality = "R", string patientId = "IT-0001", string? studyInstanceUid = null, string? institution = null)
    {
        string[] study = studyInstanceUid is null ? [] : ["-k", $"StudyInstanceUID={studyInstanceUid}"];
        string[] site = institution is null ? [] : ["-k", $"InstitutionName={institution}"];
        var result = await ExternalTool.RunAsync("img2dcm",
        [
            .. study,
            .. site,
            "-oph",
            "-k", $"PatientID={patientId}",
            "-k", "PatientName=Test^Integration",
            "-k", $"ImageLaterality={laterality}",
            "-k", "PatientEyeMovementCommanded=NO",
            "-k", "BurnedInAnnotation=NO",
            "-k", "LossyImageCompression=01",
            "-k", "PresentationLUTShape=IDENTITY",
            "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeValue=409898007",
            "-k", "AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SCT",
            "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus Camera",
            "-k", "AnatomicRegionSequence[0].CodeValue=81745001",
            "-k", "AnatomicRegionSequence[0].CodingSchemeDesignator=SCT",
            "-k", "AnatomicRegionSequence[0].CodeMeaning=Eye",
            "-k", "ReferencedPerformedProcedureStepSequence",
            "-k", "ReferencedRequestSequence",
            "-k", "PatientEyeMovementCommandCodeSequence",
            jpeg, output,
        ]);
        Assert.True(result.ExitCode == 0, "img2dcm failed: " + result.Output);
        return output;
    }

    /// <summary>img2dcm's default output: Secondary Capture, a SOP class RetinaScreen does not grade.</summary>
    public static async Task<string> Img2DcmSecondaryCaptureAsync(string jpeg, string output)
    {
        var result = await ExternalTool.RunAsync("img2dcm", ["-k", "PatientID=IT-SC", jpeg, output]);
        Assert.True(result.ExitCode == 0, "img2dcm failed: " + result.Output);
        return output;
    }

    public static async Task<string> ReadSopInstanceUidAsync(string dicomFile) => await ReadTagAsync(dicomFile, "SOPInstanceUID");

    public static async Task<string> ReadStudyInstanceUidAsync(string dicomFile) => await ReadTagAsync(dicomFile, "StudyInstanceUID");

    private static async Task<string> ReadTagAsync(string dicomFile, string keyword)
    {
        // DCMTK reads it, so the test does not depend on the code under test to know what it sent.
        var result = await ExternalTool.RunAsync("dcmdump", ["-s", "+P", keyword, dicomFile]);
        var start = result.Output.IndexOf('[', StringComparison.Ordinal);
        var end = result.Output.IndexOf(']', start + 1);
        Assert.True(start >= 0 && end > start, $"dcmdump found no {keyword}: {result.Output}");
        return result.Output[(start + 1)..end];
    }
}
