using System.Diagnostics;
using System.Globalization;
using System.Security.Authentication;
using System.Security.Cryptography;
using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Cli.Sending;

/// <summary>
/// <c>retinascreen send HOST PORT FILE|DIR [--aet AE] [--aec AE] [--associations N] [--propose TS[,TS...]] [--tls ...]</c>: acts as
/// a camera, sending DICOM files with C-STORE. The files are split over N parallel associations, each carrying its share
/// on one association. With <c>--propose</c> only files already encoded in one of the listed transfer syntaxes are sent:
/// there is no transcoder, so a file in another syntax is skipped and reported, never re-encoded.
/// With <c>--tls</c> it connects over DICOM TLS, verifying the server against <c>--tls-ca</c> (or the system roots) and
/// authenticating with <c>--tls-cert</c>/<c>--tls-key</c> where given.
/// Exit code 0 only when every file that was not skipped was stored.
/// </summary>
public static class SendCommand
{
    public const string Usage =
        "usage: retinascreen send HOST PORT FILE|DIR [--aet CALLING_AE] [--aec CALLED_AE] [--associations N=1] [--propose TS[,TS...]]\n" +
        "                         [--tls [--tls-cert PEM --tls-key PEM] [--tls-ca PEM]]\n" +
        "  --associations N   split the files over N parallel associations, each reused for its whole share\n" +
        "  --propose TS,...   send only files whose own transfer syntax is listed (UIDs, or implicit, explicit, deflate,\n" +
        "                     jpeg-baseline, jpeg-lossless, jpeg2000, jpeg2000-lossless); files are never transcoded, so\n" +
        "                     the others are reported as skipped\n" +
        "  --tls              connect over DICOM TLS (TLS 1.2/1.3; the port is usually 2762)\n" +
        "  --tls-cert, --tls-key PEM  this sender's certificate and private key, for servers that authenticate devices\n" +
        "  --tls-ca PEM       trust anchors for the server's certificate (default: the system's trusted roots)";

    // Short names for the syntaxes cameras send; anything else is given as a UID.
    private static readonly Dictionary<string, string> TransferSyntaxNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["implicit"] = "1.2.840.10008.1.2",
        ["explicit"] = "1.2.840.10008.1.2.1",
        ["deflate"] = "1.2.840.10008.1.2.1.99",
        ["jpeg-baseline"] = "1.2.840.10008.1.2.4.50",
        ["jpeg-lossless"] = "1.2.840.10008.1.2.4.70",
        ["jpeg2000-lossless"] = "1.2.840.10008.1.2.4.90",
        ["jpeg2000"] = "1.2.840.10008.1.2.4.91",
    };

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var positional = new List<string>();
        var callingAe = "RSCAMERA";
        var calledAe = "RETINASCREEN";
        var associations = 1;
        HashSet<string>? proposed = null;
        var tls = false;
        string? tlsCert = null, tlsKey = null, tlsCa = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--aet" when i + 1 < args.Count: callingAe = args[++i]; break;
                case "--aec" when i + 1 < args.Count: calledAe = args[++i]; break;
                case "--associations" when i + 1 < args.Count:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out associations) || associations is < 1 or > 64)
                    {
                        stderr.WriteLine("send: --associations takes a number from 1 to 64");
                        return 2;
                    }

                    break;
                case "--propose" when i + 1 < args.Count:
                    proposed = ParseTransferSyntaxes(args[++i]);
                    if (proposed is null)
                    {
                        stderr.WriteLine($"send: --propose takes transfer syntax UIDs or names, comma-separated ({string.Join(", ", TransferSyntaxNames.Keys)})");
                        return 2;
                    }

                    break;
                case "--tls": tls = true; break;
                case "--tls-cert" when i + 1 < args.Count: tlsCert = args[++i]; break;
                case "--tls-key" when i + 1 < args.Count: tlsKey = args[++i]; break;
                case "--tls-ca" when i + 1 < args.Count: tlsCa = args[++i]; break;
                default: positional.Add(args[i]); break;
            }
        }

        if (positional.Count != 3 || !int.TryParse(positional[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535)
        {
            stderr.WriteLine(Usage);
            return 2;
        }

        if (!tls && (tlsCert ?? tlsKey ?? tlsCa) is not null)
        {
            stderr.WriteLine("send: --tls-cert, --tls-key and --tls-ca need --tls");
            return 2;
        }

        var host = positional[0];
        DicomClientTlsOptions? tlsOptions = null;
        if (tls)
        {
            try
            {
                tlsOptions = new DicomClientTlsOptions
                {
                    ClientCertificate = tlsCert is null ? null : DicomTls.LoadCertificateWithKey(tlsCert, tlsKey, password: null).Certificate,
                    TrustAnchors = tlsCa is null ? null : DicomTls.LoadPemCertificates(tlsCa),
                };
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                stderr.WriteLine($"send: cannot load the TLS certificate or key: {ex.Message}");
                return 2;
            }
        }

        var files = ListFiles(positional[2]);
        if (files.Count == 0)
        {
            stderr.WriteLine($"send: no files at {positional[2]}");
            return 2;
        }

        var items = new List<(DicomStoreItem Item, string File)>(files.Count);
        var unreadable = 0;
        var skipped = 0;
        foreach (var file in files)
        {
            DicomStoreItem item;
            try
            {
                item = DicomStoreItem.FromFile(file);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or DicomNetworkException)
            {
                stderr.WriteLine($"{file}: not a DICOM Part 10 file ({ex.Message})");
                unreadable++;
                continue;
            }

            if (proposed is not null && !proposed.Contains(item.TransferSyntaxUid))
            {
                stdout.WriteLine($"{Path.GetFileName(file)}: skipped (transfer syntax {item.TransferSyntaxUid} not proposed; files are not transcoded)");
                skipped++;
                continue;
            }

            items.Add((item, file));
        }

        // Contiguous shares keep each association's files in folder order, which is how a camera sends a visit.
        var shareCount = Math.Min(associations, Math.Max(items.Count, 1));
        var shares = Enumerable.Range(0, shareCount)
            .Select(s => items.Skip(s * items.Count / shareCount).Take(((s + 1) * items.Count / shareCount) - (s * items.Count / shareCount)).ToList())
            .ToList();

        var client = new DicomClient(new DicomClientOptions { Tls = tlsOptions });
        var stopwatch = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(shares.Select(share => SendShareAsync(client, host, port, callingAe, calledAe, share)));
        stopwatch.Stop();

        var stored = 0;
        long storedBytes = 0;
        var connectionFailures = 0;
        foreach (var (share, outcome) in shares.Zip(outcomes))
        {
            if (outcome.Error is not null)
            {
                // One association failing does not stop the others; its whole share counts as not stored.
                stderr.WriteLine($"send: association for {share.Count} file(s) failed: {outcome.Error}");
                connectionFailures++;
                continue;
            }

            for (var i = 0; i < outcome.Results!.Count; i++)
            {
                var result = outcome.Results[i];
                var file = share[i].File;
                var name = Path.GetFileName(file);
                if (result.IsSuccess)
                {
                    stored++;
                    storedBytes += new FileInfo(file).Length;
                    stdout.WriteLine($"{name}: stored (status 0x{result.Status:X4})");
                }
                else
                {
                    var status = result.Status is { } s ? $"status 0x{s:X4}" : result.Outcome.ToString();
                    stderr.WriteLine($"{name}: failed ({status}{(result.ErrorComment is null ? "" : ": " + result.ErrorComment)})");
                }
            }
        }

        var seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-6);
        var offered = files.Count - skipped;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{stored} of {offered} stored in {seconds:0.00} s ({stored / seconds:0.0} instances/s, {storedBytes / 1e6 / seconds:0.0} MB/s)"));
        if (skipped > 0)
        {
            stdout.WriteLine($"{skipped} skipped: transfer syntax not in --propose");
        }

        if (connectionFailures == shares.Count && items.Count > 0)
        {
            return 1;
        }

        return stored == offered && unreadable == 0 ? 0 : 1;
    }

    private static async Task<(IReadOnlyList<DicomStoreItemResult>? Results, string? Error)> SendShareAsync(
        DicomClient client, string host, int port, string callingAe, string calledAe, List<(DicomStoreItem Item, string File)> share)
    {
        try
        {
            return (await client.StoreAsync(host, port, callingAe, calledAe, share.Select(s => s.Item).ToList()), null);
        }
        catch (Exception ex) when (ex is DicomNetworkException or IOException or System.Net.Sockets.SocketException or TimeoutException or AuthenticationException)
        {
            return (null, ex.Message);
        }
    }

    private static HashSet<string>? ParseTransferSyntaxes(string list)
    {
        var uids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TransferSyntaxNames.TryGetValue(part, out var uid))
            {
                uids.Add(uid);
            }
            else if (part.All(c => char.IsAsciiDigit(c) || c == '.') && part.Contains('.', StringComparison.Ordinal))
            {
                uids.Add(part);
            }
            else
            {
                return null;
            }
        }

        return uids.Count == 0 ? null : uids;
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
