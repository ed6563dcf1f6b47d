using BenchmarkDotNet.Running;
using RetinaScreen.Dicom.Benchmarks;

// "corpus DIR" writes the benchmark corpus (so pydicom can time the same files); anything else goes to BenchmarkDotNet.
if (args is ["corpus", var directory])
{
    foreach (var path in BenchmarkCorpus.Create(directory))
    {
        Console.WriteLine(path);
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(DicomParseBenchmarks).Assembly).Run(args);
