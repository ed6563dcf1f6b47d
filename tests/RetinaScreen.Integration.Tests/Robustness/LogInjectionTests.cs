using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting.Logging;
using RetinaScreen.Integration.Tests.Infrastructure;
using RetinaScreen.Integration.Tests.Ingest;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>
/// Values from outside reach log messages (a sender's AE title, an exception quoting a file name). The
/// console formatter every process uses escapes control characters, so such a value can neither forge a log line
/// nor send escape sequences to the terminal of whoever reads the log.
/// </summary>
public sealed class LogInjectionTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private const string ForgedLine = "info: RetinaScreen.Ingest.Storage.InstanceIngestor[4001]";
    private const string Hostile = "1.2.840.10008.5.1.4.1.1.77.1.5.1\n" + ForgedLine + "\u001b[31m\u001b]0;owned\u0007\r\u0085";

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-loginject-").FullName;

    [Theory]
    [InlineData("plain 1.2.3", "plain 1.2.3")]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("red \u001b[31m", "red \\x1b[31m")]
    [InlineData("\r\t\0\u007f", "\\r\\t\\x00\\x7f")]
    [InlineData("nel\u0085 csi\u009b", "nel\\x85 csi\\x9b")]
    [InlineData("line\u2028para\u2029rtl\u202e", "line\\u2028para\\u2029rtl\\u202e")]
    [InlineData("ü é 中", "ü é 中")]
    public void REQ_DCM_13_control_characters_are_escaped_one_by_one_and_everything_else_is_kept(string text, string expected)
    {
        Assert.Equal(expected, LogText.Escape(text));
    }

    [Fact]
    public void REQ_DCM_13_The_console_formatter_writes_one_message_line_with_no_control_character_from_the_values()
    {
        using var formatter = new EscapingConsoleFormatter(new FixedOptions(new ConsoleFormatterOptions { IncludeScopes = true }));
        var scopes = new LoggerExternalScopeProvider();
        using var scope = scopes.Push("Association from \u001b[2J");
        var thrown = new InvalidOperationException("outer " + Hostile, new FormatException("inner \n\u001b[0m"));
        using var output = new StringWriter();

        formatter.Write(new LogEntry<string>(LogLevel.Warning, "RetinaScreen.Test", new EventId(4003), $"Rejected: {Hostile}", thrown, (s, _) => s), scopes, output);

        var text = output.ToString();
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\u0085', text);
        Assert.DoesNotContain('\u0007', text);
        var lines = text.Split('\n');
        Assert.Equal("warn: RetinaScreen.Test[4003]", lines[0]);
        Assert.Equal("      => Association from \\x1b[2J", lines[1]);
        Assert.Equal("      Rejected: 1.2.840.10008.5.1.4.1.1.77.1.5.1\\n" + ForgedLine + "\\x1b[31m\\x1b]0;owned\\x07\\r\\x85", lines[2]);
        Assert.Equal("      System.InvalidOperationException: outer 1.2.840.10008.5.1.4.1.1.77.1.5.1\\n" + ForgedLine + "\\x1b[31m\\x1b]0;owned\\x07\\r\\x85", lines[3]);
        Assert.StartsWith("       ---> System.FormatException: inner \\n\\x1b[0m", lines[4], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.StartsWith(ForgedLine, StringComparison.Ordinal));
    }

    [Fact]
    public async Task REQ_DCM_13_A_calling_AE_title_with_a_line_feed_and_escape_codes_reaches_the_hosts_log_escaped()
    {
        // Ingest refuses a malformed UID without quoting it, so the sender's own name is the value that reaches the
        // log: every stored object is logged with the calling AE title, 16 bytes the sender chooses. The PDUs are
        // written by hand because our own client refuses such a title.
        const string hostileAe = "A\n\u001b[31mINJECTED";
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, 960_920), Path.Combine(_work, "ae.dcm"), "R", "IT-LOG");
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var implicitFile = Path.Combine(_work, "ae-implicit.dcm");
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmdjpeg", ["+ti", file, implicitFile])).ExitCode);
        var dataset = Part10.Dataset(implicitFile);

        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", host.DicomPort);
            var stream = client.GetStream();
            await stream.WriteAsync(RawAssociation.AssociateRequest("RETINASCREEN", hostileAe, RawAssociation.OphthalmicPhotography8Bit));
            Assert.Equal(0x02, await RawAssociation.ReadPduTypeAsync(stream, TimeSpan.FromSeconds(30)));
            await stream.WriteAsync(RawAssociation.PData(1, command: true, last: true, RawAssociation.CStoreCommand(RawAssociation.OphthalmicPhotography8Bit, sop)));
            const int fragment = 16 * 1024;
            for (var offset = 0; offset < dataset.Length; offset += fragment)
            {
                var length = Math.Min(fragment, dataset.Length - offset);
                await stream.WriteAsync(RawAssociation.PData(1, command: false, last: offset + length == dataset.Length, dataset.AsSpan(offset, length)));
            }

            Assert.Equal(0x04, await RawAssociation.ReadPduTypeAsync(stream, TimeSpan.FromSeconds(30)));
        }

        await WaitForAsync(() => host.Log.Contains("A\\n\\x1b[31mINJECTED", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var log = host.Log;
        Assert.Contains("A\\n\\x1b[31mINJECTED", log, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', log);
        Assert.DoesNotContain(log.Split('\n'), l => l.StartsWith("\u001b[31mINJECTED", StringComparison.Ordinal));

        await HostStillServes.AssertAsync(host, _work, 960_910);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    private sealed class FixedOptions(ConsoleFormatterOptions value) : IOptionsMonitor<ConsoleFormatterOptions>
    {
        public ConsoleFormatterOptions CurrentValue => value;

        public ConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ConsoleFormatterOptions, string?> listener) => null;
    }
}
