using System.Collections.Concurrent;
using System.Diagnostics;

namespace RetinaScreen.Distributed.Tests.Infrastructure;

/// <summary>One role (ingest, inference, portal) as its own process, started from its build output.</summary>
internal sealed class RoleProcess(string name, string project, IReadOnlyDictionary<string, string> environment, string workingDirectory) : IDisposable
{
    /// <summary>Every role process alive, so that a test host that ends abruptly (a run's timeout, an unhandled
    /// exception) still kills them on its way out: no role may outlive the test run.</summary>
    private static readonly ConcurrentDictionary<RoleProcess, bool> Alive = new();

    static RoleProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var role in Alive.Keys)
            {
                role.KillHard();
            }
        };
    }

    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    public string Name { get; } = name;
    public string Log => string.Join('\n', _log);
    public IEnumerable<string> LogLines => _log;
    public bool IsRunning => _process is { HasExited: false };

    public void Start()
    {
        var dll = RepositoryPaths.RoleDll(project);
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Build the solution first: {dll} is missing.");
        }

        Directory.CreateDirectory(workingDirectory);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        Alive[this] = true;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown code runs.</summary>
    public void KillHard()
    {
        var process = Interlocked.Exchange(ref _process, null);
        Alive.TryRemove(this, out _);
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            process.Dispose();
        }
    }

    public async Task WaitReadyAsync(int httpPort, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name} was not ready within {timeout}:\n{Log}");
    }

    public void Dispose() => KillHard();
}
