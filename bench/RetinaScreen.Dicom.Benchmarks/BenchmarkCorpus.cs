using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Benchmarks;

/// <summary>
/// The fixed corpus: one fundus-sized file (2592x2592 native RGB, 20 MB, an Ophthalmic Photography header) and header-
/// heavy files from Debian's python3-pydicom (CT, MR, RT plan and structure set, SR), copied into one folder.
/// </summary>
public static class BenchmarkCorpus
{
    public const string FundusName = "fundus-20mb.dcm";

    private static readonly string[] PydicomFiles = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "test-SR.dcm", "image_dfl.dcm"];

    public static string DefaultFolder => Path.Combine(Path.GetTempPath(), "retinascreen-dicom-bench");

    public static IReadOnlyList<string> Create(string folder)
    {
        Directory.CreateDirectory(folder);
        var fundus = Path.Combine(folder, FundusName);
        if (!File.Exists(fundus))
        {
            WriteFundus(fundus);
        }

        var files = new List<string> { fundus };
        foreach (var name in PydicomFiles)
        {
            var target = Path.Combine(folder, name);
            if (!File.Exists(target))
            {
                File.Copy(Path.Combine("/usr/lib/python3/dist-packages/pydicom/data/test_files", name), target);
            }

            files.Add(target);
        }

        return files;
    }

    private static void WriteFundus(string path)
    {
        const int side = 2592;
        var pixels = new byte[side * side * 3];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 7 >> 3);
        }

        var dataset = new DicomDataset()
            .Set(DicomTag.SpecificCharacterSet, "ISO_IR 192")
            .Set(DicomTag.ImageType, "ORIGINAL", "PRIMARY")
            .Set(DicomTag.SopClassUid, DicomUids.OphthalmicPhotography8Bit)
            .Set(DicomTag.SopInstanceUid, "2.25.1000001")
            .Set(DicomTag.StudyDate, "20261126").Set(DicomTag.StudyTime, "101500")
            .Set(DicomTag.Modality, "OP").Set(DicomTag.Manufacturer, "Benchmark Optics")
            .Set(DicomTag.InstitutionName, "Benchmark Clinic").Set(DicomTag.ManufacturerModelName, "BX-1")
            .Set(DicomTag.PatientName, "Bench^Mark").Set(DicomTag.PatientId, "BENCH-1")
            .Set(DicomTag.PatientBirthDate, "19600101").Set(DicomTag.PatientSex, "F")
            .Set(DicomTag.StudyInstanceUid, "2.25.1000002").Set(DicomTag.SeriesInstanceUid, "2.25.1000003")
            .Set(DicomTag.SeriesNumber, 1).Set(DicomTag.InstanceNumber, 1).Set(DicomTag.ImageLaterality, "R")
            .Set(DicomTag.AnatomicRegionSequence, new DicomDataset()
                .Set(DicomTag.CodeValue, "81745001").Set(DicomTag.CodingSchemeDesignator, "SCT").Set(DicomTag.CodeMeaning, "Eye"))
            .Set(DicomTag.SamplesPerPixel, 3).Set(DicomTag.PhotometricInterpretation, "RGB").Set(DicomTag.PlanarConfiguration, 0)
            .Set(DicomTag.Rows, side).Set(DicomTag.Columns, side)
            .Set(DicomTag.BitsAllocated, 8).Set(DicomTag.BitsStored, 8).Set(DicomTag.HighBit, 7).Set(DicomTag.PixelRepresentation, 0)
            .Set(DicomTag.PixelData, DicomVR.OB, pixels);
        new DicomFile(dataset).Save(path);
    }
}
