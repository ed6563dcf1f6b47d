using System.Buffers.Binary;

namespace RetinaScreen.Dicom.Imaging;

/// <summary>
/// Proves that a JPEG frame is whole before a decoder sees it. ImageSharp 2.1 and libjpeg-turbo (SkiaSharp) both decode
/// a stream that stops early — cut short, or with an end-of-image marker where the scan should go on — by filling the
/// missing blocks with grey, and report success: half a photograph, the other half invented, must never be graded.
/// Neither library exposes that it did so (ImageSharp's scan decoder just returns; libjpeg only counts a warning, which
/// SkiaSharp does not surface), so the check is made here on the stream itself.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="VerifyStructure"/> reads only the markers: a start-of-image, one frame header agreeing with the data set,
/// a scan, and an end-of-image marker, with at least the entropy-coded bytes the frame's blocks need (every Huffman
/// coded block takes two bits or more). It reads the header and the tail of the stream, so ingest can afford it.
/// </para>
/// <para>
/// <see cref="Verify"/> also walks every Huffman-coded sequential scan (JPEG baseline and extended, the processes of
/// DICOM's JPEG transfer syntaxes) code by code: the DC and AC codes of each block are read and skipped, nothing is
/// dequantised or transformed, so no pixel exists. Data that ends before the last MCU, a restart marker out of place,
/// a code no table defines, or a scan that leaves a component out is damage. Progressive, lossless and arithmetic-coded
/// streams are checked at marker level only.
/// </para>
/// </remarks>
internal static class JpegIntegrity
{
    /// <summary>Entropy-coded bytes allowed after a scan's last block before the next marker: an encoder's padding,
    /// not the rest of a larger image.</summary>
    private const int MaximumTrailingEntropyBytes = 64;

    /// <summary>The frame header (SOFn) of a stream.</summary>
    public readonly record struct FrameHeader(byte Marker, int Precision, int Height, int Width, int Components);

    /// <summary>The frame header of <paramref name="jpeg"/>, or null when no start-of-image and frame header come first.</summary>
    public static FrameHeader? ReadFrameHeader(ReadOnlySpan<byte> jpeg) => ReadFrameHeader(jpeg, out _);

    /// <param name="jpeg">The stream, or only its first bytes.</param>
    /// <param name="beyond">True when the frame header, if any, lies past the end of <paramref name="jpeg"/>: the
    /// segments before it (an ICC profile, a thumbnail) are longer than the bytes given.</param>
    public static FrameHeader? ReadFrameHeader(ReadOnlySpan<byte> jpeg, out bool beyond)
    {
        beyond = false;
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return null;
        }

        var i = 2;
        while (true)
        {
            if (i + 10 > jpeg.Length)
            {
                beyond = true;
                return null;
            }

            if (jpeg[i] != 0xFF)
            {
                return null;
            }

            var marker = jpeg[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
            if (IsFrameHeader(marker))
            {
                return length >= 8
                    ? new FrameHeader(marker, jpeg[i + 4], BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 5)..]), BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 7)..]), jpeg[i + 9])
                    : null;
            }

            i += 2 + length;
        }
    }

    /// <summary>
    /// The checks that need no walk through the entropy-coded data: the head (up to and including the frame header)
    /// agrees with the data set, the stream ends with an end-of-image marker, and <paramref name="length"/> bytes can hold
    /// the frame's blocks.
    /// </summary>
    /// <param name="head">The first bytes of the stream, enough to hold its frame header.</param>
    /// <param name="tail">The last bytes of the stream (a few suffice), where its end-of-image marker must be.</param>
    /// <param name="length">The stream's whole length.</param>
    /// <exception cref="DicomImagingException">Damaged: the stream is not a whole JPEG of the data set's image.</exception>
    public static void VerifyStructure(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, long length, int columns, int rows, int samplesPerPixel)
    {
        var frame = ReadFrameHeader(head)
            ?? throw DicomImagingException.Damaged("the frame does not start with a JPEG start-of-image marker and frame header.");
        VerifyFrame(frame, columns, rows, samplesPerPixel);
        if (!EndsWithEndOfImage(tail))
        {
            throw DicomImagingException.Damaged("JPEG has no end-of-image marker: cut short.");
        }

        if (IsHuffmanSequential(frame.Marker))
        {
            // The sampling factors are not read here; whatever they are, the most finely sampled component covers the
            // whole image, so the frame has at least that component's blocks.
            var blocks = BlocksAcross(frame.Width, 1, 1) * BlocksAcross(frame.Height, 1, 1);
            if (length < MinimumEntropyBytes(blocks))
            {
                throw TooShort(length, frame);
            }
        }
    }

    /// <summary>
    /// Proves <paramref name="jpeg"/> is one whole JPEG stream of a <paramref name="columns"/>×<paramref name="rows"/>
    /// image with <paramref name="samplesPerPixel"/> components (see the class remarks).
    /// </summary>
    /// <exception cref="DicomImagingException">Damaged, with what is wrong.</exception>
    public static void Verify(ReadOnlySpan<byte> jpeg, int columns, int rows, int samplesPerPixel)
    {
        var frame = ReadFrameHeader(jpeg)
            ?? throw DicomImagingException.Damaged("the frame does not start with a JPEG start-of-image marker and frame header.");
        VerifyFrame(frame, columns, rows, samplesPerPixel);
        new StreamWalk(frame).Run(jpeg);
    }

    private static void VerifyFrame(FrameHeader frame, int columns, int rows, int samplesPerPixel)
    {
        if (frame.Width != columns || frame.Height != rows)
        {
            throw FrameDecoder.JpegSizeDiffers(frame.Width, frame.Height, columns, rows);
        }

        if (frame.Components != samplesPerPixel)
        {
            throw DicomImagingException.Damaged($"JPEG has {frame.Components} components, data set says {samplesPerPixel} samples per pixel.");
        }
    }

    private static bool EndsWithEndOfImage(ReadOnlySpan<byte> tail)
    {
        // DICOM pads an odd-length fragment to an even one (PS3.5 A.4): with a zero byte, or by some writers with a
        // JPEG fill byte (FF).
        var end = tail.Length;
        while (end > 0 && tail[end - 1] is 0x00 or 0xFF)
        {
            end--;
        }

        return end >= 2 && tail[end - 2] == 0xFF && tail[end - 1] == 0xD9;
    }

    private static bool IsFrameHeader(byte marker) => marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;

    /// <summary>Huffman-coded sequential DCT (baseline and extended), whose blocks each take at least two bits.</summary>
    private static bool IsHuffmanSequential(byte marker) => marker is 0xC0 or 0xC1;

    /// <summary>Blocks along one side of a component sampled at <paramref name="factor"/> of <paramref name="maximumFactor"/>.</summary>
    private static long BlocksAcross(int samples, int factor, int maximumFactor)
    {
        var componentSamples = ((long)samples * factor + maximumFactor - 1) / maximumFactor;
        return (componentSamples + 7) / 8;
    }

    /// <summary>A DC code and an end-of-block code are at least one bit each.</summary>
    private static long MinimumEntropyBytes(long blocks) => blocks * 2 / 8;

    private static DicomImagingException TooShort(long bytes, FrameHeader frame) =>
        DicomImagingException.Damaged($"{bytes} bytes cannot hold a {frame.Width}x{frame.Height} image.");

    private sealed class HuffmanTable
    {
        /// <summary>Codes of up to 8 bits by their next 8 bits: (length &lt;&lt; 8) | symbol; 0 for longer codes.</summary>
        public readonly ushort[] Lookup = new ushort[256];
        public readonly int[] MaxCode = new int[17];
        public readonly int[] ValueOffset = new int[17];
        public readonly byte[] Values;

        private HuffmanTable(byte[] values) => Values = values;

        /// <returns>The table, or null when its code lengths over-fill the code space.</returns>
        public static HuffmanTable? Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            var table = new HuffmanTable(values.ToArray());
            int code = 0, k = 0;
            for (var length = 1; length <= 16; length++)
            {
                table.ValueOffset[length] = k - code;
                var count = counts[length - 1];
                if (code + count > 1 << length)
                {
                    return null;
                }

                for (var i = 0; i < count; i++, k++, code++)
                {
                    if (length <= 8)
                    {
                        var prefix = code << (8 - length);
                        for (var fill = 0; fill < 1 << (8 - length); fill++)
                        {
                            table.Lookup[prefix + fill] = (ushort)((length << 8) | values[k]);
                        }
                    }
                }

                table.MaxCode[length] = count > 0 ? code - 1 : -1;
                code <<= 1;
            }

            return table;
        }
    }

    private readonly record struct Component(int Id, int Horizontal, int Vertical);

    /// <summary>The marker-by-marker walk of one stream.</summary>
    private sealed class StreamWalk(FrameHeader frame)
    {
        private readonly HuffmanTable?[] _tables = new HuffmanTable?[8];
        private readonly List<Component> _components = [];
        private readonly HashSet<int> _scanned = [];
        private int _restartInterval;

        public void Run(ReadOnlySpan<byte> jpeg)
        {
            var sequential = frame.Marker is 0xC0 or 0xC1;
            var i = 2;
            var sawScan = false;
            while (true)
            {
                if (i + 2 > jpeg.Length)
                {
                    throw DicomImagingException.Damaged("JPEG has no end-of-image marker: cut short.");
                }

                if (jpeg[i] != 0xFF)
                {
                    throw DicomImagingException.Damaged($"the JPEG stream has no marker where one belongs (byte {i}).");
                }

                var marker = jpeg[i + 1];
                if (marker == 0xFF)
                {
                    i++;
                    continue;
                }

                if (marker == 0xD9)
                {
                    break;
                }

                if (marker == 0x01)
                {
                    i += 2;
                    continue;
                }

                if (marker is (>= 0xD0 and <= 0xD7) or 0xD8)
                {
                    throw DicomImagingException.Damaged($"the JPEG stream has a stray marker FF{marker:X2} outside a scan (byte {i}).");
                }

                if (i + 4 > jpeg.Length)
                {
                    throw DicomImagingException.Damaged("JPEG has no end-of-image marker: cut short.");
                }

                var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
                if (length < 2 || i + 2 + length > jpeg.Length)
                {
                    throw DicomImagingException.Damaged($"the JPEG segment FF{marker:X2} at byte {i} runs past the end of the stream: it was cut short.");
                }

                var segment = jpeg.Slice(i + 4, length - 2);
                i += 2 + length;
                switch (marker)
                {
                    case var _ when IsFrameHeader(marker):
                        ReadComponents(segment, i, jpeg.Length - i);
                        break;
                    case 0xC4:
                        ReadHuffmanTables(segment);
                        break;
                    case 0xDD:
                        _restartInterval = segment.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(segment) : 0;
                        break;
                    case 0xDA:
                        if (_components.Count == 0)
                        {
                            throw DicomImagingException.Damaged("the JPEG stream has a scan before its frame header.");
                        }

                        sawScan = true;
                        var entropy = jpeg[i..];
                        i += sequential ? WalkSequentialScan(segment, entropy) : SkipScan(entropy);
                        break;
                }
            }

            if (!sawScan)
            {
                throw DicomImagingException.Damaged("the JPEG stream has no scan (SOS): it holds no image data.");
            }

            if (sequential && _scanned.Count < _components.Count)
            {
                throw DicomImagingException.Damaged($"the JPEG scans cover {_scanned.Count} of the frame's {_components.Count} components.");
            }
        }

        private void ReadComponents(ReadOnlySpan<byte> segment, int at, long bytesAfter)
        {
            if (_components.Count > 0)
            {
                throw DicomImagingException.Damaged($"the JPEG stream has a second frame header (byte {at}).");
            }

            if (frame.Height == 0)
            {
                throw DicomImagingException.Damaged("the JPEG frame header gives no height.");
            }

            if (segment.Length < 6 + 3 * frame.Components || frame.Components is < 1 or > 4)
            {
                throw DicomImagingException.Damaged("the JPEG frame header is malformed.");
            }

            for (var c = 0; c < frame.Components; c++)
            {
                var sampling = segment[7 + 3 * c];
                int horizontal = sampling >> 4, vertical = sampling & 0x0F;
                if (horizontal is < 1 or > 4 || vertical is < 1 or > 4)
                {
                    throw DicomImagingException.Damaged("the JPEG frame header has invalid sampling factors.");
                }

                _components.Add(new Component(segment[6 + 3 * c], horizontal, vertical));
            }

            if (IsHuffmanSequential(frame.Marker))
            {
                var maxH = _components.Max(c => c.Horizontal);
                var maxV = _components.Max(c => c.Vertical);
                long blocks = 0;
                foreach (var component in _components)
                {
                    blocks += BlocksAcross(frame.Width, component.Horizontal, maxH) * BlocksAcross(frame.Height, component.Vertical, maxV);
                }

                // A hostile header (65,500 pixels square over a few kilobytes) is refused here, before any walk.
                if (MinimumEntropyBytes(blocks) > bytesAfter)
                {
                    throw TooShort(bytesAfter, frame);
                }
            }
        }

        private void ReadHuffmanTables(ReadOnlySpan<byte> segment)
        {
            var at = 0;
            while (at < segment.Length)
            {
                if (at + 17 > segment.Length)
                {
                    throw DicomImagingException.Damaged("a JPEG Huffman table is cut short.");
                }

                var type = segment[at];
                int tableClass = type >> 4, id = type & 0x0F;
                var counts = segment.Slice(at + 1, 16);
                var total = 0;
                foreach (var count in counts)
                {
                    total += count;
                }

                if (tableClass > 1 || id > 3 || total > 256 || at + 17 + total > segment.Length)
                {
                    throw DicomImagingException.Damaged("a JPEG Huffman table is malformed.");
                }

                _tables[tableClass * 4 + id] = HuffmanTable.Build(counts, segment.Slice(at + 17, total))
                    ?? throw DicomImagingException.Damaged("a JPEG Huffman table defines more codes than its lengths allow.");
                at += 17 + total;
            }
        }

        /// <summary>Skips the entropy-coded data of a scan this walk does not decode; returns its length.</summary>
        private static int SkipScan(ReadOnlySpan<byte> entropy)
        {
            for (var i = 0; i + 1 < entropy.Length; i++)
            {
                if (entropy[i] == 0xFF && entropy[i + 1] is not 0x00 and not 0xFF and not (>= 0xD0 and <= 0xD7))
                {
                    return i;
                }
            }

            throw DicomImagingException.Damaged("JPEG has no end-of-image marker: cut short.");
        }

        /// <summary>Reads every code of a sequential Huffman scan; returns the length of its entropy-coded data.</summary>
        private int WalkSequentialScan(ReadOnlySpan<byte> header, ReadOnlySpan<byte> entropy)
        {
            var count = header.Length > 0 ? header[0] : 0;
            if (count is < 1 or > 4 || header.Length < 1 + 2 * count + 3)
            {
                throw DicomImagingException.Damaged("a JPEG scan header is malformed.");
            }

            // Ss, Se, Ah and Al are not checked: some baseline encoders write zeros there, and decoders (libjpeg with
            // a warning) read a sequential scan's 64 coefficients whatever they say.
            var members = new (Component Component, HuffmanTable Dc, HuffmanTable Ac)[count];
            for (var s = 0; s < count; s++)
            {
                var id = header[1 + 2 * s];
                var index = _components.FindIndex(c => c.Id == id);
                if (index < 0)
                {
                    throw DicomImagingException.Damaged($"a JPEG scan names component {id}, which the frame header does not have.");
                }

                var tables = header[2 + 2 * s];
                if (tables >> 4 > 3 || (tables & 0x0F) > 3)
                {
                    throw DicomImagingException.Damaged("a JPEG scan names a Huffman table beyond the four a stream may have.");
                }

                members[s] = (_components[index],
                    _tables[tables >> 4] ?? throw MissingTable("DC", tables >> 4),
                    _tables[4 + (tables & 0x0F)] ?? throw MissingTable("AC", tables & 0x0F));
                _scanned.Add(id);
            }

            var maxH = _components.Max(c => c.Horizontal);
            var maxV = _components.Max(c => c.Vertical);
            long mcus;
            int blocksPerMcu;
            if (count == 1)
            {
                // A single-component scan is not interleaved: its MCU is one block of that component (ITU T.81 A.2.2).
                var c = members[0].Component;
                mcus = BlocksAcross(frame.Width, c.Horizontal, maxH) * BlocksAcross(frame.Height, c.Vertical, maxV);
                blocksPerMcu = 1;
                members[0] = (c with { Horizontal = 1, Vertical = 1 }, members[0].Dc, members[0].Ac);
            }
            else
            {
                mcus = (long)((frame.Width + 8 * maxH - 1) / (8 * maxH)) * ((frame.Height + 8 * maxV - 1) / (8 * maxV));
                blocksPerMcu = members.Sum(m => m.Component.Horizontal * m.Component.Vertical);
            }

            if (MinimumEntropyBytes(mcus * blocksPerMcu) > entropy.Length)
            {
                throw TooShort(entropy.Length, frame);
            }

            var reader = new EntropyReader(entropy);
            var restartsSeen = 0;
            for (long mcu = 0; mcu < mcus; mcu++)
            {
                if (_restartInterval > 0 && mcu > 0 && mcu % _restartInterval == 0)
                {
                    if (!reader.TakeRestart(restartsSeen & 7))
                    {
                        throw DicomImagingException.Damaged($"a JPEG restart marker is missing before MCU {mcu} of {mcus}.");
                    }

                    restartsSeen++;
                }

                foreach (var member in members)
                {
                    for (var b = member.Component.Horizontal * member.Component.Vertical; b > 0; b--)
                    {
                        if (!ReadBlock(ref reader, member.Dc, member.Ac))
                        {
                            throw DicomImagingException.Damaged($"a JPEG block in MCU {mcu} of {mcus} has a code no Huffman table defines.");
                        }
                    }
                }

                if (reader.Overrun)
                {
                    throw DicomImagingException.Damaged(reader.AtEnd
                        ? $"the JPEG stream ends in MCU {mcu} of {mcus}: it was cut short."
                        : $"the JPEG entropy-coded data ends at a marker in MCU {mcu} of {mcus}: the image is incomplete.");
                }
            }

            return reader.EndOfScan(MaximumTrailingEntropyBytes)
                ?? throw DicomImagingException.Damaged("more JPEG entropy-coded data follows the last block than the frame header describes.");
        }

        private static bool ReadBlock(ref EntropyReader reader, HuffmanTable dc, HuffmanTable ac)
        {
            var category = reader.Decode(dc);
            if (category is < 0 or > 16)
            {
                return false;
            }

            reader.Skip(category);
            for (var k = 1; k < 64; k++)
            {
                var symbol = reader.Decode(ac);
                if (symbol < 0)
                {
                    return false;
                }

                int run = symbol >> 4, size = symbol & 0x0F;
                if (size == 0)
                {
                    if (run != 15)
                    {
                        return true;
                    }

                    k += 15;
                }
                else
                {
                    k += run;
                    reader.Skip(size);
                }

                if (k > 63)
                {
                    return false;
                }

                if (reader.Overrun)
                {
                    return true;
                }
            }

            return true;
        }

        private static DicomImagingException MissingTable(string kind, int id) =>
            DicomImagingException.Damaged($"a JPEG scan uses {kind} Huffman table {id}, which the stream does not define.");
    }

    /// <summary>
    /// Bits of one scan's entropy-coded data, with stuffed zero bytes removed. At a marker (or the end) it supplies zero
    /// bits as a decoder would, and counts them: <see cref="Overrun"/> says a code needed bits the data did not have.
    /// </summary>
    private ref struct EntropyReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;
        private ulong _buffer;
        private int _bits;
        private int _supplied;

        /// <summary>Zero bits were consumed past the data's end: the scan stopped before its last block.</summary>
        public readonly bool Overrun => _bits < _supplied;

        /// <summary>The data ran out with no marker at all (rather than at one).</summary>
        public readonly bool AtEnd => _position >= _data.Length;

        public int Decode(HuffmanTable table)
        {
            if (_bits < 16)
            {
                Fill();
            }

            var entry = table.Lookup[(int)(_buffer >> (_bits - 8)) & 0xFF];
            if (entry != 0)
            {
                _bits -= entry >> 8;
                return entry & 0xFF;
            }

            for (var length = 9; length <= 16; length++)
            {
                var code = (int)(_buffer >> (_bits - length)) & ((1 << length) - 1);
                if (code <= table.MaxCode[length])
                {
                    _bits -= length;
                    var index = table.ValueOffset[length] + code;
                    return index >= 0 && index < table.Values.Length ? table.Values[index] : -1;
                }
            }

            return -1;
        }

        public void Skip(int count)
        {
            if (_bits < count)
            {
                Fill();
            }

            _bits -= count;
        }

        /// <summary>At a restart interval's end: drops the padding bits and takes restart marker RST<paramref name="expected"/>.</summary>
        public bool TakeRestart(int expected)
        {
            if (Overrun)
            {
                return false;
            }

            var marker = FindMarker(_position);
            if (marker < 0 || _data[marker + 1] != 0xD0 + expected)
            {
                return false;
            }

            _position = marker + 2;
            _buffer = 0;
            _bits = 0;
            _supplied = 0;
            return true;
        }

        /// <summary>After the last block: the offset of the marker that ends the scan, or null when more than
        /// <paramref name="slack"/> bytes of data remain before it.</summary>
        public readonly int? EndOfScan(int slack)
        {
            var marker = FindMarker(_position);
            if (marker < 0)
            {
                // No marker at all: the stream was cut short after its last block.
                throw DicomImagingException.Damaged("JPEG has no end-of-image marker: cut short.");
            }

            // Whole bytes still in the buffer were read ahead but not used.
            var unused = (_bits - _supplied) / 8 + (marker - _position);
            return unused > slack ? null : marker;
        }

        private readonly int FindMarker(int from)
        {
            for (var i = from; i + 1 < _data.Length; i++)
            {
                if (_data[i] == 0xFF && _data[i + 1] is not 0x00 and not 0xFF)
                {
                    return i;
                }
            }

            return -1;
        }

        private void Fill()
        {
            while (_bits <= 56)
            {
                byte next = 0;
                if (_supplied == 0 && _position < _data.Length)
                {
                    var value = _data[_position];
                    if (value != 0xFF)
                    {
                        next = value;
                        _position++;
                    }
                    else if (_position + 1 < _data.Length && _data[_position + 1] == 0x00)
                    {
                        next = 0xFF;
                        _position += 2;
                    }
                    else
                    {
                        // A marker (or fill bytes before one): the scan's data ends here.
                        _supplied += 8;
                    }
                }
                else
                {
                    _supplied += 8;
                }

                _buffer = (_buffer << 8) | next;
                _bits += 8;
            }
        }
    }
}
