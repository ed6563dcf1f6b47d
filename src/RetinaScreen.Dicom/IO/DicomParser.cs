using System.Buffers.Binary;

namespace RetinaScreen.Dicom.IO;

/// <summary>
/// Parses a data set (PS3.5 7) from a <see cref="DicomStreamReader"/>. Every length is checked against what the
/// stream holds before anything is allocated, nesting and element counts are bounded, and every failure names the
/// tag and byte offset.
/// </summary>
internal sealed class DicomParser
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private const uint PixelDataTag = 0x7FE00010;
    private const uint FirstPixelDataTag = 0x7FE00008;
    private const uint PixelRepresentationTag = 0x00280103;

    private readonly DicomStreamReader _reader;
    private readonly DicomReadOptions _options;
    private readonly string? _deferPath;
    private readonly long _deferOffset;
    private readonly long? _deflatedFrom;
    private bool _explicitVr;
    private bool _bigEndian;
    private int _elementCount;
    private bool _signedPixels;

    /// <param name="deferPath">The file the stream reads, when values may stay in it.</param>
    /// <param name="deferOffset">The file offset of the reader's position 0.</param>
    /// <param name="deflatedFrom">
    /// When the reader reads the inflated data set of <paramref name="deferPath"/>: the file offset where its deflated
    /// bytes begin. Deferred values are then skipped by inflating past them, and re-inflated from there when used.
    /// </param>
    public DicomParser(DicomStreamReader reader, DicomReadOptions options, bool explicitVr, bool bigEndian, string? deferPath = null, long deferOffset = 0, long? deflatedFrom = null)
    {
        _reader = reader;
        _options = options;
        _explicitVr = explicitVr;
        _bigEndian = bigEndian;
        _deferPath = options.DeferValuesLargerThan is null ? null : deferPath;
        _deferOffset = deferOffset;
        _deflatedFrom = deflatedFrom;
    }

    public int ElementCount => _elementCount;

    public void SetEncoding(bool explicitVr, bool bigEndian)
    {
        _explicitVr = explicitVr;
        _bigEndian = bigEndian;
    }

    /// <summary>Reads the top-level data set to the end of the stream (or to the pixel data when asked to stop there).</summary>
    public void ReadTopLevel(DicomDataset dataset) => ReadDataset(dataset, -1, 0, topLevel: true, metaOnly: false);

    /// <summary>Reads group 0002 elements and stops before the first element of another group.</summary>
    public void ReadFileMetaGroup(DicomDataset meta) => ReadDataset(meta, -1, 0, topLevel: true, metaOnly: true);

    private void ReadDataset(DicomDataset dataset, long end, int depth, bool topLevel, bool metaOnly)
    {
        while (true)
        {
            var offset = _reader.Position;
            if (end >= 0)
            {
                if (offset == end)
                {
                    return;
                }

                if (offset > end)
                {
                    throw new DicomFormatException($"An element ran {offset - end} bytes past the end of its item", null, offset);
                }
            }

            if (!_reader.TryEnsure(4))
            {
                if (topLevel && end < 0 && !_reader.TryEnsure(1))
                {
                    return;
                }

                throw new DicomFormatException(end < 0 && !topLevel
                    ? "The stream ended inside an item of undefined length (no item delimitation)"
                    : "The stream ended inside a data element header", null, offset);
            }

            if (metaOnly && _reader.PeekUInt16LittleEndian() != 0x0002)
            {
                return;
            }

            var tag = ReadTag();
            if (tag.Group == 0xFFFE)
            {
                var length = ReadUInt32(tag, offset);
                if (tag == DicomTag.ItemDelimitationItem && end < 0 && !topLevel)
                {
                    if (length != 0)
                    {
                        throw new DicomFormatException($"Item delimitation with non-zero length {length}", tag, offset);
                    }

                    return;
                }

                if (topLevel && tag == DicomTag.SequenceDelimitationItem && length == 0)
                {
                    // A stray delimiter at the top level is harmless and some writers leave one; it is skipped.
                    continue;
                }

                throw new DicomFormatException("Unexpected delimiter or item tag in a data set", tag, offset);
            }

            CountElement(tag, offset);
            if (topLevel && _options.StopBeforePixelData && tag.Value >= FirstPixelDataTag && tag.Group == 0x7FE0)
            {
                return;
            }

            DicomVR vr;
            uint valueLength;
            if (_explicitVr)
            {
                if (!_reader.TryEnsure(4))
                {
                    throw new DicomFormatException("The stream ended inside a data element header", tag, offset);
                }

                var vrBytes = _reader.Take(2);
                if (!DicomVR.TryParse(vrBytes[0], vrBytes[1], out vr))
                {
                    throw new DicomFormatException($"Invalid VR bytes 0x{vrBytes[0]:X2}{vrBytes[1]:X2} in explicit VR data", tag, offset);
                }

                if (vr.HasLongExplicitLength)
                {
                    _reader.Take(2);
                    valueLength = ReadUInt32(tag, offset);
                }
                else
                {
                    var lengthBytes = _reader.Take(2);
                    valueLength = _bigEndian && tag.Group != 0x0002 ? BinaryPrimitives.ReadUInt16BigEndian(lengthBytes) : BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes);
                }
            }
            else
            {
                vr = DicomDictionary.ImplicitVR(tag);

                // "US or SS" elements (pixel values, LUT descriptors) follow Pixel Representation, read before them (DCMTK does the same).
                if (vr == DicomVR.US && _signedPixels && DicomDictionary.Find(tag) is { ValueRepresentations: [_, var other, ..] } && other == DicomVR.SS)
                {
                    vr = DicomVR.SS;
                }
                valueLength = ReadUInt32(tag, offset);
            }

            if (vr.IsSequence || (valueLength == UndefinedLength && vr == DicomVR.UN && tag.Value != PixelDataTag))
            {
                dataset.Add(ReadSequence(tag, vr, valueLength, depth + 1, offset));
                continue;
            }

            if (valueLength == UndefinedLength)
            {
                if (vr == DicomVR.OB || vr == DicomVR.OW || tag.Value == PixelDataTag)
                {
                    dataset.Add(ReadFragments(tag, vr, offset));
                    continue;
                }

                throw new DicomFormatException($"Undefined length is not allowed for VR {vr}", tag, offset);
            }

            var value = ReadValue(tag, vr, valueLength, offset);
            if (tag.Value == PixelRepresentationTag && vr == DicomVR.US && value.Length >= 2)
            {
                _signedPixels = (value.Memory.Span[0] | value.Memory.Span[1] << 8) == 1;
            }

            dataset.Add(new DicomPrimitive(tag, vr, value));
        }
    }

    private DicomSequence ReadSequence(DicomTag tag, DicomVR vr, uint length, int depth, long offset)
    {
        if (depth > _options.MaxDepth)
        {
            throw new DicomFormatException($"Sequences are nested deeper than the limit of {_options.MaxDepth}", tag, offset);
        }

        // An undefined-length UN holds a sequence encoded in implicit VR little endian (PS3.5 6.2.2).
        var saveExplicit = _explicitVr;
        var saveBigEndian = _bigEndian;
        if (vr == DicomVR.UN)
        {
            _explicitVr = false;
            _bigEndian = false;
        }

        var sequence = new DicomSequence(tag);
        var end = length == UndefinedLength ? -1 : CheckedEnd(tag, length, offset);
        while (true)
        {
            var itemOffset = _reader.Position;
            if (end >= 0 && itemOffset >= end)
            {
                if (itemOffset > end)
                {
                    throw new DicomFormatException($"An item ran {itemOffset - end} bytes past the end of its sequence", tag, itemOffset);
                }

                break;
            }

            if (!_reader.TryEnsure(8))
            {
                throw new DicomFormatException("The stream ended inside a sequence", tag, itemOffset);
            }

            var itemTag = ReadTag();
            var itemLength = ReadUInt32(itemTag, itemOffset);
            if (itemTag == DicomTag.SequenceDelimitationItem)
            {
                if (end >= 0)
                {
                    throw new DicomFormatException("Sequence delimitation inside a sequence of defined length", tag, itemOffset);
                }

                break;
            }

            if (itemTag != DicomTag.Item)
            {
                throw new DicomFormatException($"Expected an item (FFFE,E000) but found {itemTag}", tag, itemOffset);
            }

            CountElement(itemTag, itemOffset);
            var item = new DicomDataset();
            var itemEnd = itemLength == UndefinedLength ? -1 : CheckedEnd(itemTag, itemLength, itemOffset);
            if (end >= 0 && itemEnd > end)
            {
                throw new DicomFormatException($"Item of {itemLength} bytes extends past the end of its sequence", tag, itemOffset);
            }

            ReadDataset(item, itemEnd, depth, topLevel: false, metaOnly: false);
            sequence.Add(item);
        }

        _explicitVr = saveExplicit;
        _bigEndian = saveBigEndian;
        return sequence;
    }

    private DicomFragmentSequence ReadFragments(DicomTag tag, DicomVR vr, long offset)
    {
        DicomBuffer? offsetTable = null;
        var fragments = new List<DicomBuffer>();
        while (true)
        {
            var itemOffset = _reader.Position;
            if (!_reader.TryEnsure(8))
            {
                throw new DicomFormatException("The stream ended inside encapsulated pixel data (no sequence delimitation)", tag, itemOffset);
            }

            var itemTag = ReadTag();
            var length = ReadUInt32(itemTag, itemOffset);
            if (itemTag == DicomTag.SequenceDelimitationItem)
            {
                break;
            }

            if (itemTag != DicomTag.Item || length == UndefinedLength)
            {
                throw new DicomFormatException($"Expected a fragment item of defined length but found {itemTag} with length 0x{length:X8}", tag, itemOffset);
            }

            CountElement(itemTag, itemOffset);
            var saveBigEndian = _bigEndian;
            _bigEndian = false;
            var buffer = ReadValue(tag, DicomVR.OB, length, itemOffset);
            _bigEndian = saveBigEndian;
            if (offsetTable is null)
            {
                offsetTable = buffer;
            }
            else
            {
                fragments.Add(buffer);
            }
        }

        return new DicomFragmentSequence(tag, vr, offsetTable ?? DicomBuffer.Empty, fragments);
    }

    private DicomBuffer ReadValue(DicomTag tag, DicomVR vr, uint length, long offset)
    {
        if (length == 0)
        {
            return DicomBuffer.Empty;
        }

        if ((length & 1) == 1 && !_options.AllowOddLengths)
        {
            throw new DicomFormatException($"Odd value length {length} (PS3.5 7.1.1 requires even lengths)", tag, offset);
        }

        var remaining = _reader.Remaining;
        if (remaining >= 0 && length > remaining)
        {
            throw new DicomFormatException($"Value length {length} exceeds the {remaining} bytes left in the stream", tag, offset);
        }

        var swapUnit = _bigEndian && vr.IsByteOrderSensitive ? (vr == DicomVR.AT ? 2 : vr.UnitSize) : 1;
        if (_deferPath is not null && length > _options.DeferValuesLargerThan && (_reader.CanSeek || _deflatedFrom is not null))
        {
            var range = new DicomFileRange(_deferPath, _deferOffset + _reader.Position, length) { DeflatedFrom = _deflatedFrom };
            try
            {
                // An inflated stream cannot say what is left: the value is inflated and dropped, which also proves it is there.
                _reader.Skip(length);
            }
            catch (EndOfStreamException ex)
            {
                throw new DicomFormatException($"The stream ended inside a value of {length} bytes", tag, offset, ex);
            }

            return new DicomBuffer(range, swapUnit);
        }

        if (length > _options.MaxValueLength)
        {
            throw new DicomFormatException($"Value length {length} exceeds the limit of {_options.MaxValueLength} bytes", tag, offset);
        }

        byte[] bytes;
        try
        {
            bytes = remaining >= 0 ? _reader.ReadBytes((int)length) : _reader.ReadBytesGrowing((int)length);
        }
        catch (EndOfStreamException ex)
        {
            throw new DicomFormatException($"The stream ended inside a value of {length} bytes", tag, offset, ex);
        }

        if ((length & 1) == 1)
        {
            // Allowed odd lengths are padded to even as DCMTK does, so what is written back is valid (PS3.5 7.1.1).
            Array.Resize(ref bytes, bytes.Length + 1);
            bytes[^1] = vr.Padding;
        }

        if (swapUnit > 1)
        {
            ByteOrder.Swap(bytes, swapUnit);
        }

        return new DicomBuffer(bytes);
    }

    private long CheckedEnd(DicomTag tag, uint length, long offset)
    {
        var remaining = _reader.Remaining;
        if (remaining >= 0 && length > remaining)
        {
            throw new DicomFormatException($"Length {length} exceeds the {remaining} bytes left in the stream", tag, offset);
        }

        return _reader.Position + length;
    }

    private void CountElement(DicomTag tag, long offset)
    {
        if (++_elementCount > _options.MaxElementCount)
        {
            throw new DicomFormatException($"More than {_options.MaxElementCount} elements and items", tag, offset);
        }
    }

    private DicomTag ReadTag()
    {
        var bytes = _reader.Take(4);
        return _bigEndian
            ? new DicomTag(BinaryPrimitives.ReadUInt16BigEndian(bytes), BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]))
            : new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(bytes), BinaryPrimitives.ReadUInt16LittleEndian(bytes[2..]));
    }

    private uint ReadUInt32(DicomTag tag, long offset)
    {
        if (!_reader.TryEnsure(4))
        {
            throw new DicomFormatException("The stream ended inside a data element header", tag, offset);
        }

        var bytes = _reader.Take(4);
        return _bigEndian && tag.Group != 0x0002 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }
}
