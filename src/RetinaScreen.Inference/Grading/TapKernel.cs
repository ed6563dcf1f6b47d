namespace RetinaScreen.Inference.Grading;

/// <summary>
/// One axis of <see cref="FundusPreprocessor.Crop"/>'s resampling: for each output position, the merged weights of its k
/// bilinear taps over a run of consecutive source indices (taps outside the frame dropped: they sample black). Weights
/// include the 1/k of the mean.
/// </summary>
internal sealed class TapKernel
{
    private readonly int[] _starts;
    private readonly int[] _counts;
    private readonly int[] _offsets;

    private TapKernel(int[] starts, int[] counts, int[] offsets, float[] weights)
    {
        _starts = starts;
        _counts = counts;
        _offsets = offsets;
        Weights = weights;
    }

    public float[] Weights { get; }

    /// <summary>Output positions.</summary>
    public int Size => _starts.Length;

    public (int Start, int Count, int Offset) Kernel(int output) => (_starts[output], _counts[output], _offsets[output]);

    /// <summary>The lowest and highest source index any output position reads (first &gt; last when none does).</summary>
    public (int First, int Last) SourceRange()
    {
        var first = int.MaxValue;
        var last = int.MinValue;
        for (var i = 0; i < _starts.Length; i++)
        {
            if (_counts[i] > 0)
            {
                first = Math.Min(first, _starts[i]);
                last = Math.Max(last, _starts[i] + _counts[i] - 1);
            }
        }

        return (first, last);
    }

    public static TapKernel Build(double origin, double scale, int taps, int size, int extent)
    {
        var starts = new int[size];
        var counts = new int[size];
        var offsets = new int[size];
        // A position's taps lie within one scale of each other, so its indices (each tap's floor and the one after)
        // span at most ceil(scale) + 2; one more guards the floor of a position that rounding put on an integer.
        var reach = (int)Math.Ceiling(scale) + 3;
        var weights = new float[size * reach];
        Span<float> sums = reach <= 256 ? stackalloc float[reach] : new float[reach];
        Span<bool> present = reach <= 256 ? stackalloc bool[reach] : new bool[reach];
        var used = 0;
        for (var o = 0; o < size; o++)
        {
            sums.Clear();
            present.Clear();
            var first = 0;
            for (var t = 0; t < taps; t++)
            {
                var position = origin + (o + (t + 0.5) / taps) * scale - 0.5;
                var floor = Math.Floor(position);
                var fraction = (float)(position - floor);
                var index = (int)floor;
                // Taps move right with t, so the first tap's floor is the lowest index of this position.
                first = t == 0 ? index : first;
                Add(sums, present, index - first, index, (1 - fraction) / taps, extent);
                Add(sums, present, index + 1 - first, index + 1, fraction / taps, extent);
            }

            offsets[o] = used;
            var lo = present.IndexOf(true);
            if (lo < 0)
            {
                continue;
            }

            var hi = present.LastIndexOf(true);
            starts[o] = first + lo;
            counts[o] = hi - lo + 1;
            sums[lo..(hi + 1)].CopyTo(weights.AsSpan(used));
            used += hi - lo + 1;
        }

        return new TapKernel(starts, counts, offsets, weights[..used]);
    }

    /// <summary>Summed in tap order from zero, as the weights per index always were: the same floats, bit for bit.</summary>
    private static void Add(Span<float> sums, Span<bool> present, int slot, int index, float weight, int extent)
    {
        if (index >= 0 && index < extent && weight != 0)
        {
            sums[slot] += weight;
            present[slot] = true;
        }
    }
}
