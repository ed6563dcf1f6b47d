using RetinaScreen.Dicom.Fuzz;
using SharpFuzz;

// RetinaScreen.Dicom.Fuzz [TARGET] [FILE...]; TARGET is dicom (the default), deflated or jpeg (FuzzTargets.cs).
// Under afl-fuzz: one long-lived process, inputs handed over by SharpFuzz's fork server.
// With file arguments: runs the target over each file once (replaying a finding outside AFL).
var target = FuzzTargets.Dicom;
var files = args.AsEnumerable();
if (args.Length > 0 && FuzzTargets.Find(args[0]) is { } named)
{
    target = named;
    files = args.Skip(1);
}

if (files.Any())
{
    foreach (var path in files)
    {
        using var stream = File.OpenRead(path);
        target.Run(stream);
        Console.WriteLine($"ok {target.Name} {path}");
    }

    return;
}

Fuzzer.OutOfProcess.Run(target.Run);
