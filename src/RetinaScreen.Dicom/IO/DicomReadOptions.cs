namespace RetinaScreen.Dicom.IO;

/// <summary>How much to read and how much hostile input to tolerate before giving up with a <see cref="DicomFormatException"/>.</summary>
public sealed record DicomReadOptions
{
    public static DicomReadOptions Default { get; } = new();

    /// <summary>Stop at the top-level pixel data element: ingest needs the header of a 20 MB image, not its pixels.</summary>
    public bool StopBeforePixelData { get; init; }

    /// <summary>
    /// Values longer than this (bytes) stay in the file as a <see cref="DicomFileRange"/> and are read when used.
    /// Applies only to files opened by path; in a deflated file such a value is inflated past and dropped while reading,
    /// and inflated again when used, so the inflated data set is never held whole. Null loads everything.
    /// </summary>
    public long? DeferValuesLargerThan { get; init; }

    /// <summary>Deepest sequence nesting accepted.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Most elements and items accepted in one file, against files that are mostly headers.</summary>
    public int MaxElementCount { get; init; } = 1_000_000;

    /// <summary>Largest single value accepted into memory.</summary>
    public long MaxValueLength { get; init; } = Array.MaxLength;

    /// <summary>
    /// Most bytes a deflated data set may inflate to: a deflate bomb claims gigabytes in a few hundred kilobytes, and
    /// each of them costs inflation time even when deferred. The default (128 MiB) is well above a deflated native
    /// photograph (a 4,000-pixel RGB image is 48 MB); a reader that knows the largest object it accepts passes that.
    /// </summary>
    public long MaxInflatedLength { get; init; } = DefaultMaxInflatedLength;

    public const long DefaultMaxInflatedLength = 128L * 1024 * 1024;

    /// <summary>PS3.5 7.1.1 requires even value lengths; some old writers break that rule.</summary>
    public bool AllowOddLengths { get; init; }

    /// <summary>The transfer syntax of a file without file meta information; guessed (implicit or explicit VR LE) when null.</summary>
    public string? FallbackTransferSyntaxUid { get; init; }
}
