using BenchmarkDotNet.Attributes;
using RetinaScreen.Dicom.IO;

namespace RetinaScreen.Dicom.Benchmarks;

/// <summary>
/// Header-only parse (StopBeforePixelData, what ingest does) and full parse (everything in memory) of the fixed
/// corpus, from files on disk (page cache warm after the first iteration).
/// </summary>
[MemoryDiagnoser]
public class DicomParseBenchmarks
{
    private static readonly DicomReadOptions HeaderOnly = new() { StopBeforePixelData = true };
    private string _fundus = string.Empty;
    private string[] _headerFiles = [];

    [GlobalSetup]
    public void Setup()
    {
        var files = BenchmarkCorpus.Create(BenchmarkCorpus.DefaultFolder);
        _fundus = files[0];
        _headerFiles = [.. files.Skip(1)];
    }

    [Benchmark]
    public DicomFile FundusHeader() => DicomFile.Open(_fundus, HeaderOnly);

    [Benchmark]
    public DicomFile FundusFull() => DicomFile.Open(_fundus);

    [Benchmark]
    public int CorpusHeaders()
    {
        var count = 0;
        foreach (var file in _headerFiles)
        {
            count += DicomFile.Open(file, HeaderOnly).Dataset.Count;
        }

        return count;
    }

    [Benchmark]
    public int CorpusFull()
    {
        var count = 0;
        foreach (var file in _headerFiles)
        {
            count += DicomFile.Open(file).Dataset.Count;
        }

        return count;
    }
}
