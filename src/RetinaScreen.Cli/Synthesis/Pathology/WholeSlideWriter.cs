using System.Buffers.Binary;
using System.Globalization;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Cli.Synthesis.Pathology;

/// <summary>
/// Writes a synthetic slide as a VL Whole Slide Microscopy Image (PS3.3 A.32.8): one focal plane, one brightfield
/// optical path, tiles in TILED_FULL order (along a row, then down), JPEG baseline or native RGB frames. Frames are
/// encoded and written one at a time, so the file is never held in memory whole.
/// </summary>
public static class WholeSlideWriter
{
    public const int JpegQuality = 90;

    /// <summary>Pixel spacing of the synthetic scan in millimetres (0.5 µm, a 20× objective).</summary>
    public const double PixelSpacingMm = 0.0005;

    private const uint UndefinedLength = 0xFFFFFFFF;

    public static void Write(string path, SyntheticSlide slide, int seed, int tileSize = 256, bool jpeg = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(slide);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileSize, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tileSize, 4096);
        var across = (slide.Width + tileSize - 1) / tileSize;
        var down = (slide.Height + tileSize - 1) / tileSize;
        var frames = across * down;
        var header = Header(slide, seed, tileSize, frames, jpeg);
        var syntax = jpeg ? DicomUids.JpegBaseline : DicomUids.ExplicitVrLittleEndian;
        var headerBytes = DicomDatasetWriter.ToArray(header, syntax);

        using var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 256 * 1024);
        FileMetaInformationWriter.Write(stream, new FileMetaInformation(DicomUids.VlWholeSlideMicroscopyImage, SyntheticVisit.Uid(seed, "slide-sop"), syntax));
        var headerStart = stream.Position;
        stream.Write(headerBytes);
        if (!jpeg)
        {
            var length = (long)tileSize * tileSize * 3 * frames;
            if (length >= UndefinedLength)
            {
                throw new ArgumentException($"{frames} native {tileSize}-pixel tiles exceed the 4 GiB a native Pixel Data element can hold; write JPEG.", nameof(slide));
            }

            WriteElementHeader(stream, DicomTag.PixelData, (uint)length);
            for (var f = 0; f < frames; f++)
            {
                stream.Write(Tile(slide, f % across * tileSize, f / across * tileSize, tileSize).Pixels);
            }

            return;
        }

        // Encapsulated: a basic offset table reserved now and filled once every frame's position is known.
        WriteElementHeader(stream, DicomTag.PixelData, UndefinedLength);
        WriteItemHeader(stream, DicomTag.Item, checked((uint)(frames * 4)));
        var tableStart = stream.Position;
        stream.Write(new byte[frames * 4]);
        var firstFragment = stream.Position;
        var offsets = new byte[frames * 4];
        long compressed = 0;
        for (var f = 0; f < frames; f++)
        {
            var bytes = JpegFrameEncoder.Encode(Tile(slide, f % across * tileSize, f / across * tileSize, tileSize), JpegQuality);
            BinaryPrimitives.WriteUInt32LittleEndian(offsets.AsSpan(f * 4), checked((uint)(stream.Position - firstFragment)));
            var pad = bytes.Length & 1;
            WriteItemHeader(stream, DicomTag.Item, checked((uint)(bytes.Length + pad)));
            stream.Write(bytes);
            if (pad == 1)
            {
                // Fragments have even length; a zero after EOI is ignored by decoders.
                stream.WriteByte(0);
            }

            compressed += bytes.Length;
        }

        WriteItemHeader(stream, DicomTag.SequenceDelimitationItem, 0);
        stream.Position = tableStart;
        stream.Write(offsets);
        var ratio = ((double)tileSize * tileSize * 3 * frames / Math.Max(1, compressed)).ToString("0.##", CultureInfo.InvariantCulture).PadRight(RatioPlaceholder.Length);
        stream.Position = headerStart + RatioValueOffset(headerBytes);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(ratio));
    }

    /// <summary>
    /// The slide as a reader of the written file decodes it: JPEG frames lose a little, native frames nothing. Training
    /// and the card's slide metrics use this, so they see the pixels that slide inference sees.
    /// </summary>
    public static SyntheticSlide AsStored(SyntheticSlide slide, int tileSize = 256, bool jpeg = true)
    {
        ArgumentNullException.ThrowIfNull(slide);
        if (!jpeg)
        {
            return slide;
        }

        var rgb = new byte[slide.Rgb.Length];
        var across = (slide.Width + tileSize - 1) / tileSize;
        var down = (slide.Height + tileSize - 1) / tileSize;
        Parallel.For(0, across * down, f =>
        {
            var x0 = f % across * tileSize;
            var y0 = f / across * tileSize;
            using var image = Image.Load<Rgb24>(JpegFrameEncoder.Encode(Tile(slide, x0, y0, tileSize), JpegQuality));
            var decoded = new byte[tileSize * tileSize * 3];
            image.CopyPixelDataTo(decoded);
            for (var row = 0; row < tileSize && y0 + row < slide.Height; row++)
            {
                var width = Math.Min(tileSize, slide.Width - x0);
                Array.Copy(decoded, row * tileSize * 3, rgb, ((y0 + row) * slide.Width + x0) * 3, width * 3);
            }
        });
        return slide.WithPixels(rgb);
    }

    /// <summary>The tile whose top left pixel is (x, y), 0-based; the part beyond the slide is white.</summary>
    public static RgbFrame Tile(SyntheticSlide slide, int x, int y, int tileSize)
    {
        ArgumentNullException.ThrowIfNull(slide);
        var pixels = new byte[tileSize * tileSize * 3];
        var width = Math.Min(tileSize, slide.Width - x);
        for (var row = 0; row < tileSize; row++)
        {
            if (y + row >= slide.Height || width < tileSize)
            {
                pixels.AsSpan(row * tileSize * 3, tileSize * 3).Fill(255);
            }

            if (y + row < slide.Height)
            {
                Array.Copy(slide.Rgb, ((y + row) * slide.Width + x) * 3, pixels, row * tileSize * 3, width * 3);
            }
        }

        return new RgbFrame(tileSize, tileSize, pixels);
    }

    private const string RatioPlaceholder = "0000000000000.00";

    private static DicomDataset Header(SyntheticSlide slide, int seed, int tileSize, int frames, bool jpeg)
    {
        var visit = SyntheticVisit.Create(seed);
        var acquired = visit.AcquiredAt;
        var date = acquired.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = acquired.ToString("HHmmss", CultureInfo.InvariantCulture);
        var containerId = "SLIDE-" + seed.ToString("D8", CultureInfo.InvariantCulture);
        var d = new DicomDataset();

        d.Set(DicomTag.SpecificCharacterSet, "ISO_IR 192");
        d.Set(DicomTag.ImageType, "ORIGINAL", "PRIMARY", "VOLUME", "NONE");
        d.Set(DicomTag.SopClassUid, DicomUids.VlWholeSlideMicroscopyImage);
        d.Set(DicomTag.SopInstanceUid, SyntheticVisit.Uid(seed, "slide-sop"));
        d.Set(DicomTag.StudyDate, date);
        d.Set(DicomTag.ContentDate, date);
        d.Set(DicomTag.StudyTime, time);
        d.Set(DicomTag.ContentTime, time);
        d.Set(DicomTag.AcquisitionDateTime, acquired.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
        d.Set(DicomTag.AccessionNumber, "P" + visit.PatientId[3..]);
        d.Set(DicomTag.Modality, "SM");
        d.Set(DicomTag.Manufacturer, "Synthetic Optics");
        d.Set(DicomTag.ReferringPhysicianName, "");
        d.Set(DicomTag.ManufacturerModelName, "SlideScan 20x");
        d.Set(DicomTag.VolumetricProperties, "VOLUME");
        d.Set(DicomTag.PatientName, visit.PatientName);
        d.Set(DicomTag.PatientId, visit.PatientId);
        d.Set(DicomTag.PatientBirthDate, visit.BirthDate);
        d.Set(DicomTag.PatientSex, visit.Sex);
        d.Set(DicomTag.DeviceSerialNumber, visit.DeviceSerialNumber);
        d.Set(DicomTag.SoftwareVersions, "retinascreen-synth");
        d.Set(DicomTag.AcquisitionDuration, 60.0);
        d.Set(DicomTag.StudyInstanceUid, SyntheticVisit.Uid(seed, "slide-study"));
        d.Set(DicomTag.SeriesInstanceUid, SyntheticVisit.Uid(seed, "slide-series"));
        d.Set(DicomTag.StudyId, "1");
        d.Set(DicomTag.SeriesNumber, 1);
        d.Set(DicomTag.InstanceNumber, 1);
        d.Set(DicomTag.FrameOfReferenceUid, SyntheticVisit.Uid(seed, "slide-frame-of-reference"));
        d.Set(DicomTag.PositionReferenceIndicator, "SLIDE_CORNER");
        d.Set(DicomTag.DimensionOrganizationSequence, new DicomDataset().Set(DicomTag.DimensionOrganizationUid, SyntheticVisit.Uid(seed, "slide-dimension-organization")));
        d.Set(DicomTag.DimensionOrganizationType, "TILED_FULL");
        d.Set(DicomTag.SamplesPerPixel, 3);
        d.Set(DicomTag.PhotometricInterpretation, jpeg ? "YBR_FULL_422" : "RGB");
        d.Set(DicomTag.NumberOfFrames, frames);
        d.Set(DicomTag.PlanarConfiguration, 0);
        d.Set(DicomTag.Rows, tileSize);
        d.Set(DicomTag.Columns, tileSize);
        d.Set(DicomTag.BitsAllocated, 8);
        d.Set(DicomTag.BitsStored, 8);
        d.Set(DicomTag.HighBit, 7);
        d.Set(DicomTag.PixelRepresentation, 0);
        d.Set(DicomTag.BurnedInAnnotation, "NO");
        if (jpeg)
        {
            d.Set(DicomTag.LossyImageCompression, "01");
            d.Set(DicomTag.LossyImageCompressionRatio, DicomVR.DS, RatioPlaceholder);
            d.Set(DicomTag.LossyImageCompressionMethod, "ISO_10918_1");
        }
        else
        {
            d.Set(DicomTag.LossyImageCompression, "00");
        }

        d.Set(DicomTag.ContainerIdentifier, containerId);
        d.Set(DicomTag.IssuerOfTheContainerIdentifierSequence, Array.Empty<DicomDataset>());
        d.Set(DicomTag.AcquisitionContextSequence, Array.Empty<DicomDataset>());
        d.Set(DicomTag.ContainerTypeCodeSequence, Code("433466003", "SCT", "Microscope slide"));
        d.Set(DicomTag.SpecimenDescriptionSequence, new DicomDataset()
            .Set(DicomTag.SpecimenIdentifier, containerId + "-A1")
            .Set(DicomTag.SpecimenUid, SyntheticVisit.Uid(seed, "slide-specimen"))
            .Set(DicomTag.IssuerOfTheSpecimenIdentifierSequence, Array.Empty<DicomDataset>())
            .Set(DicomTag.SpecimenShortDescription, "Synthetic lymph node, H&E")
            .Set(DicomTag.SpecimenPreparationSequence, Array.Empty<DicomDataset>())
            .Set(DicomTag.PrimaryAnatomicStructureSequence, Code("59441001", "SCT", "Lymph node")));
        d.Set(DicomTag.ImagedVolumeWidth, DicomVR.FL, Float(slide.Width * PixelSpacingMm));
        d.Set(DicomTag.ImagedVolumeHeight, DicomVR.FL, Float(slide.Height * PixelSpacingMm));
        d.Set(DicomTag.ImagedVolumeDepth, DicomVR.FL, Float(4.0));
        d.Set(DicomTag.TotalPixelMatrixColumns, slide.Width);
        d.Set(DicomTag.TotalPixelMatrixRows, slide.Height);
        d.Set(DicomTag.TotalPixelMatrixOriginSequence, new DicomDataset()
            .Set(DicomTag.XOffsetInSlideCoordinateSystem, 20.0)
            .Set(DicomTag.YOffsetInSlideCoordinateSystem, 40.0));
        d.Set(DicomTag.SpecimenLabelInImage, "NO");
        d.Set(DicomTag.FocusMethod, "AUTO");
        d.Set(DicomTag.ExtendedDepthOfField, "NO");
        d.Set(DicomTag.ImageOrientationSlide, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0);
        d.Set(DicomTag.OpticalPathSequence, new DicomDataset()
            .Set(DicomTag.IlluminationTypeCodeSequence, Code("111744", "DCM", "Brightfield illumination"))
            .Set(DicomTag.OpticalPathIdentifier, "1")
            .Set(DicomTag.OpticalPathDescription, "Brightfield, full spectrum")
            .Set(DicomTag.IlluminationColorCodeSequence, Code("414298005", "SCT", "Full Spectrum"))
            .Set(DicomTag.IccProfile, DicomVR.OB, SrgbIccProfile.Bytes)
            .Set(DicomTag.ColorSpace, "SRGB"));
        d.Set(DicomTag.NumberOfOpticalPaths, 1);
        d.Set(DicomTag.TotalPixelMatrixFocalPlanes, 1);
        d.Set(DicomTag.SharedFunctionalGroupsSequence, new DicomDataset()
            .Set(DicomTag.PixelMeasuresSequence, new DicomDataset()
                .Set(DicomTag.SliceThickness, 0.004)
                .Set(DicomTag.PixelSpacing, PixelSpacingMm, PixelSpacingMm))
            .Set(DicomTag.WholeSlideMicroscopyImageFrameTypeSequence, new DicomDataset().Set(DicomTag.FrameType, "ORIGINAL", "PRIMARY", "VOLUME", "NONE"))
            .Set(DicomTag.OpticalPathIdentificationSequence, new DicomDataset().Set(DicomTag.OpticalPathIdentifier, "1")));
        return d;
    }

    private static byte[] Float(double value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, (float)value);
        return bytes;
    }

    private static int RatioValueOffset(byte[] header)
    {
        ReadOnlySpan<byte> element = [0x28, 0x00, 0x12, 0x21, (byte)'D', (byte)'S'];
        var at = header.AsSpan().IndexOf(element);
        return at >= 0 ? at + 8 : throw new InvalidOperationException("Lossy Image Compression Ratio is missing from the header.");
    }

    private static void WriteElementHeader(Stream stream, DicomTag tag, uint length)
    {
        Span<byte> h = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element);
        h[4] = (byte)'O';
        h[5] = (byte)'B';
        h[6] = 0;
        h[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], length);
        stream.Write(h);
    }

    private static void WriteItemHeader(Stream stream, DicomTag tag, uint length)
    {
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], length);
        stream.Write(h);
    }

    private static DicomDataset Code(string value, string scheme, string meaning) =>
        new DicomDataset()
            .Set(DicomTag.CodeValue, value)
            .Set(DicomTag.CodingSchemeDesignator, scheme)
            .Set(DicomTag.CodeMeaning, meaning);
}
