namespace RetinaScreen.Dicom.Tests.Support;

internal static class DatasetAssert
{
    /// <summary>Asserts both data sets hold the same elements with the same bytes, recursively; group lengths are ignored.</summary>
    public static void Equivalent(DicomDataset expected, DicomDataset actual, bool compareVR = true, string path = "")
    {
        var expectedElements = expected.Where(e => !e.Tag.IsGroupLength).ToList();
        var actualElements = actual.Where(e => !e.Tag.IsGroupLength).ToList();
        Assert.True(
            expectedElements.Select(e => e.Tag).SequenceEqual(actualElements.Select(e => e.Tag)),
            $"{path}: tags differ: expected [{string.Join(' ', expectedElements.Select(e => e.Tag))}] got [{string.Join(' ', actualElements.Select(e => e.Tag))}]");
        for (var i = 0; i < expectedElements.Count; i++)
        {
            var e = expectedElements[i];
            var a = actualElements[i];
            var where = $"{path}/{e.Tag}";
            if (compareVR)
            {
                Assert.True(e.VR == a.VR, $"{where}: VR {e.VR} became {a.VR}");
            }

            switch (e)
            {
                case DicomSequence sequence:
                    var other = Assert.IsType<DicomSequence>(a);
                    Assert.True(sequence.Items.Count == other.Items.Count, $"{where}: {sequence.Items.Count} items became {other.Items.Count}");
                    for (var j = 0; j < sequence.Items.Count; j++)
                    {
                        Equivalent(sequence.Items[j], other.Items[j], compareVR, $"{where}[{j}]");
                    }

                    break;
                case DicomFragmentSequence fragments:
                    var otherFragments = Assert.IsType<DicomFragmentSequence>(a);
                    Assert.Equal(fragments.OffsetTable.Memory.ToArray(), otherFragments.OffsetTable.Memory.ToArray());
                    Assert.Equal(fragments.Fragments.Count, otherFragments.Fragments.Count);
                    for (var j = 0; j < fragments.Fragments.Count; j++)
                    {
                        Assert.True(fragments.Fragments[j].Memory.Span.SequenceEqual(otherFragments.Fragments[j].Memory.Span), $"{where}: fragment {j} differs");
                    }

                    break;
                case DicomPrimitive primitive:
                    var otherPrimitive = Assert.IsType<DicomPrimitive>(a);
                    Assert.True(primitive.Buffer.Memory.Span.SequenceEqual(otherPrimitive.Buffer.Memory.Span), $"{where}: value differs");
                    break;
            }
        }
    }
}
