using System.Diagnostics;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Tests.Support;
using Xunit.Abstractions;

namespace RetinaScreen.Dicom.Tests.IO;

/// <summary>New objects validate with dicom3tools' dciodvfy (IOD, module and attribute checks of PS3.3).</summary>
public sealed class WriterValidationTests(ITestOutputHelper output)
{
    private const string SecondaryCaptureImageStorage = "1.2.840.10008.5.1.4.1.1.7";

    [Fact]
    public void REQ_DCM_10_synthetic_ophthalmic_photographs_validate_with_dciodvfy()
    {
        using var temp = new TempFolder();
        foreach (var seed in new[] { 1, 2 })
        {
            var fundus = FundusSynthesizer.Generate(seed);
            var path = temp.File($"op-{seed}.dcm");
            OphthalmicPhotographWriter.Create(fundus, SyntheticVisit.Create(seed), instanceNumber: seed).Save(path);

            AssertValid(path);
        }
    }

    [Fact]
    public void REQ_DCM_10_a_secondary_capture_from_the_dataset_builder_validates_with_dciodvfy()
    {
        using var temp = new TempFolder();
        var path = temp.File("sc.dcm");
        var dataset = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, "ISO_IR 192")
            .Set(DicomTag.SopClassUid, SecondaryCaptureImageStorage)
            .Set(DicomTag.SopInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.StudyDate, "20261126").Set(DicomTag.StudyTime, "120000")
            .Set(DicomTag.AccessionNumber, string.Empty)
            .Set(DicomTag.Modality, "OT")
            .Set(DicomTag.ConversionType, "WSD")
            .Set(DicomTag.ReferringPhysicianName, string.Empty)
            .Set(DicomTag.PatientName, "Test^Capture").Set(DicomTag.PatientId, "RS-0002")
            .Set(DicomTag.PatientBirthDate, string.Empty).Set(DicomTag.PatientSex, string.Empty)
            .Set(DicomTag.StudyInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.SeriesInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.StudyId, "1").Set(DicomTag.SeriesNumber, 1).Set(DicomTag.InstanceNumber, 1)
            .Set(DicomTag.PatientOrientation, string.Empty)
            .Set(DicomTag.Laterality, DicomVR.CS, ReadOnlyMemory<byte>.Empty)
            .Set(DicomTag.BurnedInAnnotation, "NO");
        var syntax = PixelDataWriter.SetJpegBaseline(dataset, [TestImages.Fundus(128, 96)]);
        new DicomFile(dataset, syntax).Save(path);

        AssertValid(path);
    }

    private void AssertValid(string path)
    {
        var start = new ProcessStartInfo(Locate("dciodvfy")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "dciodvfy did not finish within 60 s");
        var report = stdout.Result + stderr.Result;
        output.WriteLine(report);
        var errors = report.Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private static string Locate(string tool)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
        Assert.True(found is not null, $"{tool} is not installed (apt-get install dicom3tools)");
        return found;
    }
}
