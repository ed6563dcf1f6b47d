using System.Diagnostics;
using System.Text;

namespace RetinaScreen.Integration.Tests.Infrastructure;

/// <summary>Runs a real peer program (DCMTK and friends) with a time limit and captures what it printed.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var path = Which(fileName)
            ?? throw new InvalidOperationException($"'{fileName}' is not installed; the test command installs it (see tests/run.sh).");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish in time.");
        }

        output.Append(await stdout).Append(await stderr);
        return new Result(process.ExitCode, output.ToString());
    }

    public static string? Which(string fileName)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
