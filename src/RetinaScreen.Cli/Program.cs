using RetinaScreen.Cli.Devices;
using RetinaScreen.Cli.Dicom;
using RetinaScreen.Cli.Operations;
using RetinaScreen.Cli.Sending;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Cli.Validation;

// retinascreen: the command-line face of RetinaScreen. Each command lives in its own folder; this file only
// dispatches, so that adding a command never touches another.
var stdout = Console.Out;
var stderr = Console.Error;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    PrintUsage(stdout);
    return args.Length == 0 ? 2 : 0;
}

var rest = args.Skip(1).ToArray();
return args[0] switch
{
    "send" => await SendCommand.RunAsync(rest, stdout, stderr),
    "synth" => SynthCommand.Run(rest, stdout, stderr),
    "validate" => ValidateCommand.Run(rest, stdout, stderr),
    "migrate" => await MigrateCommand.RunAsync(rest, stdout, stderr),
    "device" => await DeviceCommand.RunAsync(rest, Console.In, stdout, stderr),
    "dicom" when rest.Length > 0 && rest[0] == "dump" => DicomDumpCommand.Run(rest.Skip(1).ToArray(), stdout, stderr),
    _ => Unknown(args[0]),
};

int Unknown(string command)
{
    stderr.WriteLine($"retinascreen: unknown command '{command}'.");
    PrintUsage(stderr);
    return 2;
}

static void PrintUsage(TextWriter output)
{
    output.WriteLine("""
        usage: retinascreen <command> [options]

          send HOST PORT FILE|DIR [--aet AE] [--aec AE] [--associations N] [--propose TS[,TS...]]
                                   send DICOM files as a camera would (C-STORE SCU) over N parallel associations; with --propose, files in other transfer syntaxes are skipped (no transcoding)
          synth --out DIR [--count N] [--seed S] [--ungradable-fraction F] [--png]
                                   write synthetic fundus photographs (Ophthalmic Photography DICOM) and labels.csv
          synth pathology --out DIR [--count N] [--seed S] [--slides | --tiles] [--size PX] [--tumour-fraction F]
                                   write synthetic H&E lymph node slides (VL Whole Slide Microscopy DICOM, tumour masks) or labelled 64x64 patches
          validate --model CARD --data DIR [--json OUT] [--candidate CARD] [--gradability CARD|rules]
                                   measure a DR model and the gradability check on a labelled folder (Gulshan-style table);
                                   with a metastasis card, slide-level AUC on slides from `synth pathology --slides`
          migrate [--wait SECONDS]  apply the database migrations of the configured provider (distributed mode)
          device register --admin-email EMAIL --name NAME [--ae-title AE] [--address IP|CIDR] [--site SITE] [--portal URL] [--password-stdin]
                                   register a camera with the portal's device administration (administrator login; password
                                   from RETINASCREEN_ADMIN_PASSWORD, standard input or a prompt); prints its API token once
          dicom dump FILE [--json] print a DICOM file as a tree, or as the DICOM JSON model (PS3.18 Annex F)
        """);
}
