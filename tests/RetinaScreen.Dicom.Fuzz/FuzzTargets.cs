namespace RetinaScreen.Dicom.Fuzz;

/// <summary>A fuzz target: its name on the command line, what it does with one input, and the file extension its
/// inputs and findings carry.</summary>
public sealed record FuzzTargetInfo(string Name, string Extension, Action<Stream> Run);

/// <summary>
/// The targets <c>bench/fuzz-dicom.sh</c> runs, each with its seed folder (<c>seeds</c>, <c>seeds-deflated</c>,
/// <c>seeds-jpeg</c>), and which <c>FuzzRegressionTests</c> replays its findings through.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Any bytes as a Part 10 file or bare data set (<see cref="FuzzTarget"/>).</summary>
    public static FuzzTargetInfo Dicom { get; } = new("dicom", ".dcm", FuzzTarget.Run);

    /// <summary>A data set, deflated into a Part 10 file and read by path with deferral (<see cref="DeflatedFuzzTarget"/>).</summary>
    public static FuzzTargetInfo Deflated { get; } = new("deflated", ".dataset", DeflatedFuzzTarget.Run);

    /// <summary>A JPEG stream as a photograph's one frame, through both decoders (<see cref="JpegFuzzTarget"/>).</summary>
    public static FuzzTargetInfo Jpeg { get; } = new("jpeg", ".jpg", JpegFuzzTarget.Run);

    public static IReadOnlyList<FuzzTargetInfo> All { get; } = [Dicom, Deflated, Jpeg];

    public static FuzzTargetInfo? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>The target a seed or finding belongs to, by its file name's extension.</summary>
    public static FuzzTargetInfo ForFile(string path) => All.FirstOrDefault(t => path.EndsWith(t.Extension, StringComparison.Ordinal)) ?? Dicom;
}
