using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Fuzz;
using SharpFuzz;

// Under afl-fuzz: one long-lived process, inputs handed over by SharpFuzz's fork server.
// With file arguments: runs the target over each file once (replaying a finding outside AFL).
if (args.Length > 0)
{
    foreach (var path in args)
    {
        using var stream = File.OpenRead(path);
        FuzzTarget.Run(stream);
        Console.WriteLine($"ok {path}");
    }

    return;
}

Fuzzer.OutOfProcess.Run(FuzzTarget.Run);
