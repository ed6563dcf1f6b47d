using System.Buffers.Binary;
using System.IO.Compression;

namespace RetinaScreen.Dicom.IO;

/// <summary>
/// Encodes a data set (PS3.5 7) in implicit VR LE, explicit VR LE or BE, or deflated explicit VR LE. Sequences and items
/// are written with undefined length, so nothing has to be measured first; group lengths are left out (they are
/// optional and go stale when a data set is edited).
/// </summary>
public static class DicomDatasetWriter
{
    private const uint UndefinedLength = 0xFFFFFFFF;

    public static void Write(Stream output, DicomDataset dataset, string transferSyntaxUid)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transferSyntaxUid);
        if (transferSyntaxUid == DicomUids.DeflatedExplicitVrLittleEndian)
        {
            using var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true);
            using var buffered = new BufferedStream(deflate, 64 * 1024);
            new Encoder(buffered, explicitVr: true, bigEndian: false).WriteDataset(dataset, topLevel: true);
            return;
        }

        var encoder = new Encoder(output, transferSyntaxUid != DicomUids.ImplicitVrLittleEndian, transferSyntaxUid == DicomUids.ExplicitVrBigEndian);
        encoder.WriteDataset(dataset, topLevel: true);
    }

    /// <summary>The data set encoded into a new array.</summary>
    public static byte[] ToArray(DicomDataset dataset, string transferSyntaxUid)
    {
        using var stream = new MemoryStream();
        Write(stream, dataset, transferSyntaxUid);
        return stream.ToArray();
    }

    private sealed class Encoder(Stream output, bool explicitVr, bool bigEndian)
    {
        private readonly byte[] _header = new byte[12];

        public void WriteDataset(DicomDataset dataset, bool topLevel)
        {
            if (topLevel && dataset.Count > 0 && dataset.First().Tag.Group == 0x0000)
            {
                WriteCommandGroup(dataset);
            }

            foreach (var element in dataset)
            {
                // Group lengths are optional and go stale; file meta belongs in the meta header, never the data set;
                // the command group was written above with its required length.
                if (element.Tag.IsGroupLength || (topLevel && element.Tag.Group is 0x0002 or 0x0000))
                {
                    continue;
                }

                WriteElement(element);
            }
        }

        /// <summary>A command set (PS3.7 6.3) must start with (0000,0000) holding the length of the rest of the group.</summary>
        private void WriteCommandGroup(DicomDataset dataset)
        {
            using var group = new MemoryStream();
            var inner = new Encoder(group, explicitVr, bigEndian);
            foreach (var element in dataset)
            {
                if (element.Tag.Group != 0x0000)
                {
                    break;
                }

                if (!element.Tag.IsGroupLength)
                {
                    inner.WriteElement(element);
                }
            }

            WriteHeader(new DicomTag(0x0000, 0x0000), DicomVR.UL, 4);
            Span<byte> length = stackalloc byte[4];
            WriteUInt32(length, checked((uint)group.Length));
            output.Write(length);
            output.Write(group.GetBuffer(), 0, (int)group.Length);
        }

        private void WriteElement(DicomElement element)
        {
            switch (element)
            {
                case DicomSequence sequence:
                    WriteHeader(element.Tag, DicomVR.SQ, UndefinedLength);
                    foreach (var item in sequence.Items)
                    {
                        WriteItemHeader(DicomTag.Item, UndefinedLength);
                        WriteDataset(item, topLevel: false);
                        WriteItemHeader(DicomTag.ItemDelimitationItem, 0);
                    }

                    WriteItemHeader(DicomTag.SequenceDelimitationItem, 0);
                    break;
                case DicomFragmentSequence fragments:
                    WriteHeader(element.Tag, element.VR == DicomVR.OW ? DicomVR.OW : DicomVR.OB, UndefinedLength);
                    WriteFragment(fragments.OffsetTable);
                    foreach (var fragment in fragments.Fragments)
                    {
                        WriteFragment(fragment);
                    }

                    WriteItemHeader(DicomTag.SequenceDelimitationItem, 0);
                    break;
                case DicomPrimitive primitive:
                    WritePrimitive(primitive);
                    break;
            }
        }

        private void WritePrimitive(DicomPrimitive element)
        {
            var buffer = element.Buffer;
            var length = buffer.Length;
            var pad = (length & 1) == 1;
            var paddedLength = length + (pad ? 1 : 0);
            if (paddedLength >= UndefinedLength)
            {
                throw new InvalidOperationException($"Element {element.Tag} is too long ({length} bytes) to encode.");
            }

            var vr = element.VR;
            if (explicitVr && !vr.HasLongExplicitLength && paddedLength > 0xFFFF)
            {
                // A value too long for a 16-bit length is written as UN (PS3.5 6.2.2).
                vr = DicomVR.UN;
            }

            WriteHeader(element.Tag, vr, (uint)paddedLength);
            if (bigEndian && element.VR.IsByteOrderSensitive)
            {
                var bytes = buffer.Memory.ToArray();
                ByteOrder.Swap(bytes, element.VR == DicomVR.AT ? 2 : element.VR.UnitSize);
                output.Write(bytes);
            }
            else
            {
                buffer.CopyTo(output);
            }

            if (pad)
            {
                output.WriteByte(element.VR.Padding);
            }
        }

        private void WriteFragment(DicomBuffer fragment)
        {
            var pad = (fragment.Length & 1) == 1;
            WriteItemHeader(DicomTag.Item, checked((uint)(fragment.Length + (pad ? 1 : 0))));
            fragment.CopyTo(output);
            if (pad)
            {
                output.WriteByte(0);
            }
        }

        private void WriteHeader(DicomTag tag, DicomVR vr, uint length)
        {
            var h = _header.AsSpan();
            WriteTag(h, tag);
            if (!explicitVr)
            {
                WriteUInt32(h[4..], length);
                output.Write(h[..8]);
                return;
            }

            h[4] = (byte)vr.Code[0];
            h[5] = (byte)vr.Code[1];
            if (vr.HasLongExplicitLength)
            {
                h[6] = 0;
                h[7] = 0;
                WriteUInt32(h[8..], length);
                output.Write(h[..12]);
            }
            else
            {
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)length);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(h[6..], (ushort)length);
                }

                output.Write(h[..8]);
            }
        }

        private void WriteItemHeader(DicomTag tag, uint length)
        {
            var h = _header.AsSpan();
            WriteTag(h, tag);
            WriteUInt32(h[4..], length);
            output.Write(h[..8]);
        }

        private void WriteTag(Span<byte> h, DicomTag tag)
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(h, tag.Group);
                BinaryPrimitives.WriteUInt16BigEndian(h[2..], tag.Element);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(h, tag.Group);
                BinaryPrimitives.WriteUInt16LittleEndian(h[2..], tag.Element);
            }
        }

        private void WriteUInt32(Span<byte> h, uint value)
        {
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(h, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(h, value);
            }
        }
    }
}
