namespace RetinaScreen.Dicom;

/// <summary>One data element of a data set.</summary>
public abstract class DicomElement
{
    protected DicomElement(DicomTag tag, DicomVR vr)
    {
        Tag = tag;
        VR = vr;
    }

    public DicomTag Tag { get; }

    public DicomVR VR { get; }

    public override string ToString() => $"{Tag} {VR} {DicomDictionary.KeywordOf(Tag)}";
}

/// <summary>An element whose value is bytes: text, numbers or a byte stream (little endian in memory).</summary>
public sealed class DicomPrimitive : DicomElement
{
    public DicomPrimitive(DicomTag tag, DicomVR vr, DicomBuffer buffer)
        : base(tag, vr)
    {
        if (vr.IsSequence)
        {
            throw new ArgumentException("A sequence is a DicomSequence.", nameof(vr));
        }

        Buffer = buffer;
    }

    public DicomPrimitive(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> value)
        : this(tag, vr, new DicomBuffer(value))
    {
    }

    public DicomBuffer Buffer { get; }

    public long Length => Buffer.Length;
}

/// <summary>A sequence of items, each a nested data set.</summary>
public sealed class DicomSequence : DicomElement
{
    private readonly List<DicomDataset> _items = [];

    public DicomSequence(DicomTag tag, params IEnumerable<DicomDataset> items)
        : base(tag, DicomVR.SQ)
    {
        foreach (var item in items)
        {
            Add(item);
        }
    }

    public IReadOnlyList<DicomDataset> Items => _items;

    public void Add(DicomDataset item)
    {
        ArgumentNullException.ThrowIfNull(item);
        item.Parent = this;
        _items.Add(item);
    }

    /// <summary>The data set this sequence belongs to, whose Specific Character Set its items inherit.</summary>
    public DicomDataset? Owner { get; internal set; }
}

/// <summary>
/// Encapsulated pixel data (PS3.5 A.4): the basic offset table, then fragments of compressed frames.
/// </summary>
public sealed class DicomFragmentSequence : DicomElement
{
    private readonly List<DicomBuffer> _fragments = [];

    public DicomFragmentSequence(DicomTag tag, DicomVR vr, DicomBuffer offsetTable, params IEnumerable<DicomBuffer> fragments)
        : base(tag, vr)
    {
        OffsetTable = offsetTable;
        _fragments.AddRange(fragments);
    }

    /// <summary>The first item's value: byte offsets of each frame's first fragment, or empty.</summary>
    public DicomBuffer OffsetTable { get; }

    public IReadOnlyList<DicomBuffer> Fragments => _fragments;

    public void Add(DicomBuffer fragment) => _fragments.Add(fragment);

    /// <summary>The offsets from the basic offset table (little endian UL values).</summary>
    public uint[] ReadOffsets()
    {
        var bytes = OffsetTable.Memory.Span;
        var offsets = new uint[bytes.Length / 4];
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 4)..]);
        }

        return offsets;
    }
}
