namespace RetinaScreen.Dicom.Imaging;

/// <summary>The Image Pixel module attributes (PS3.3 C.7.6.3) that say how to interpret pixel data.</summary>
public sealed record PixelDataInfo(
    int Rows,
    int Columns,
    int SamplesPerPixel,
    string PhotometricInterpretation,
    int PlanarConfiguration,
    int BitsAllocated,
    int BitsStored,
    int HighBit,
    int PixelRepresentation,
    int NumberOfFrames)
{
    /// <summary>Bytes of one native (uncompressed) frame.</summary>
    public long FrameLength => (long)Rows * Columns * SamplesPerPixel * ((BitsAllocated + 7) / 8);

    public static PixelDataInfo From(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var rows = dataset.GetInt32(DicomTag.Rows) ?? throw new DicomImagingException("The data set has no Rows (0028,0010).");
        var columns = dataset.GetInt32(DicomTag.Columns) ?? throw new DicomImagingException("The data set has no Columns (0028,0011).");
        var bitsAllocated = dataset.GetInt32(DicomTag.BitsAllocated, 8);
        return new PixelDataInfo(
            rows,
            columns,
            dataset.GetInt32(DicomTag.SamplesPerPixel, 1),
            dataset.GetString(DicomTag.PhotometricInterpretation, "MONOCHROME2"),
            dataset.GetInt32(DicomTag.PlanarConfiguration, 0),
            bitsAllocated,
            dataset.GetInt32(DicomTag.BitsStored, bitsAllocated),
            dataset.GetInt32(DicomTag.HighBit, dataset.GetInt32(DicomTag.BitsStored, bitsAllocated) - 1),
            dataset.GetInt32(DicomTag.PixelRepresentation, 0),
            Math.Max(1, dataset.GetInt32(DicomTag.NumberOfFrames, 1)));
    }
}
