using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Cli.Sending;

/// <summary>
/// <c>retinascreen send HOST PORT FILE|DIR</c>: acts as a camera, sending DICOM files with C-STORE on one
/// association. Exit code 0 only when every file was stored.
/// </summary>
public static class SendCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var positional = new List<string>();
        var callingAe = "RSCAMERA";
        var calledAe = "RETINASCREEN";
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--aet" when i + 1 < args.Count: callingAe = args[++i]; break;
                case "--aec" when i + 1 < args.Count: calledAe = args[++i]; break;
                default: positional.Add(args[i]); break;
            }
        }

        if (positional.Count != 3 || !int.TryParse(positional[1], out var port) || port is <= 0 or > 65535)
        {
            stderr.WriteLine("usage: retinascreen send HOST PORT FILE|DIR [--aet CALLING_AE] [--aec CALLED_AE]");
            return 2;
        }

        var host = positional[0];
        var files = ListFiles(positional[2]);
        if (files.Count == 0)
        {
            stderr.WriteLine($"send: no files at {positional[2]}");
            return 2;
        }

        var items = new List<DicomStoreItem>(files.Count);
        var itemFiles = new List<string>(files.Count);
        var unreadable = 0;
        foreach (var file in files)
        {
            try
            {
                items.Add(DicomStoreItem.FromFile(file));
                itemFiles.Add(file);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or DicomNetworkException)
            {
                stderr.WriteLine($"{file}: not a DICOM Part 10 file ({ex.Message})");
                unreadable++;
            }
        }

        IReadOnlyList<DicomStoreItemResult> results;
        try
        {
            results = await new DicomClient().StoreAsync(host, port, callingAe, calledAe, items);
        }
        catch (Exception ex) when (ex is DicomNetworkException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            stderr.WriteLine($"send: {ex.Message}");
            return 1;
        }

        var stored = 0;
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            var name = Path.GetFileName(itemFiles[i]);
            if (result.IsSuccess)
            {
                stored++;
                stdout.WriteLine($"{name}: stored (status 0x{result.Status:X4})");
            }
            else
            {
                var status = result.Status is { } s ? $"status 0x{s:X4}" : result.Outcome.ToString();
                stderr.WriteLine($"{name}: failed ({status}{(result.ErrorComment is null ? "" : ": " + result.ErrorComment)})");
            }
        }

        stdout.WriteLine($"{stored} of {files.Count} stored");
        return stored == files.Count && unreadable == 0 ? 0 : 1;
    }

    private static List<string> ListFiles(string path)
    {
        if (File.Exists(path))
        {
            return [path];
        }

        if (!Directory.Exists(path))
        {
            return [];
        }

        // DICOM files often have no extension; skip only what a synth folder also holds beside them.
        return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
