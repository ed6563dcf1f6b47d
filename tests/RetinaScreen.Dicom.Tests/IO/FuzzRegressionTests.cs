using System.Diagnostics;
using RetinaScreen.Dicom.Fuzz;
using RetinaScreen.Dicom.Tests.Support;

namespace RetinaScreen.Dicom.Tests.IO;

public sealed class FuzzRegressionTests
{
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(10);
    private const long AllocationBound = 256L * 1024 * 1024;

    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        var fuzz = RepoPaths.Combine("tests", "RetinaScreen.Dicom.Fuzz");
        foreach (var folder in new[] { RepoPaths.Combine("tests", "RetinaScreen.Dicom.Tests", "FuzzRegressions"), Path.Combine(fuzz, "seeds"), Path.Combine(fuzz, "seeds-deflated"), Path.Combine(fuzz, "seeds-jpeg") })
        {
            foreach (var path in Directory.EnumerateFiles(folder).Where(p => !p.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Root, path));
            }
        }

        return data;
    }

    /// <summary>The fuzz target the input belongs to (by its extension, <see cref="FuzzTargets.ForFile"/>), bounded in time and allocation.</summary>
    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task REQ_DCM_09_every_fuzz_finding_ends_in_success_or_a_format_error_within_bounds(string relativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Root, relativePath));
        var target = FuzzTargets.ForFile(relativePath);
        Exception? unexpected = null;
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var worker = Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                // The target swallows the documented failures itself; anything that comes out of it is a finding.
                target.Run(new MemoryStream(bytes));
            }
#pragma warning disable CA1031 // Any exception is the finding this test reports.
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
