using System.Diagnostics;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Json;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class FuzzRegressionTests
{
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(10);
    private const long AllocationBound = 256L * 1024 * 1024;

    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { RepoPaths.Combine("tests", "RetinaScreen.Dicom.Tests", "FuzzRegressions"), RepoPaths.Combine("tests", "RetinaScreen.Dicom.Fuzz", "seeds") })
        {
            foreach (var path in Directory.EnumerateFiles(folder).Where(p => !p.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Root, path));
            }
        }

        return data;
    }

    /// <summary>What the fuzz target does (tests/RetinaScreen.Dicom.Fuzz/FuzzTarget.cs), bounded in time and allocation.</summary>
    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task REQ_DCM_09_every_fuzz_finding_ends_in_success_or_a_format_error_within_bounds(string relativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Root, relativePath));
        Exception? unexpected = null;
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var worker = Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var file = DicomFile.Open(new MemoryStream(bytes), new DicomReadOptions { MaxValueLength = 64 * 1024 * 1024 });
                DicomJsonWriter.ToJson(file.Dataset);
                if (file.Dataset.Contains(DicomTag.PixelData))
                {
                    FrameDecoder.Decode(file, 0);
                }
            }
            catch (Exception ex) when (ex is DicomFormatException or DicomImagingException)
            {
            }
#pragma warning disable CA1031 // Any other exception is the finding this test reports.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                unexpected = ex;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });

        Assert.True(await Task.WhenAny(worker, Task.Delay(TimeBound)) == worker, $"{relativePath} still running after {TimeBound.TotalSeconds} s");
        Assert.True(unexpected is null, $"{relativePath}: {unexpected}");
        Assert.True(allocated < AllocationBound, $"{relativePath} allocated {allocated / 1024 / 1024} MB in {clock.ElapsedMilliseconds} ms");
    }
}
