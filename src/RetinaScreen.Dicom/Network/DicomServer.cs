using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// C-ECHO and C-STORE SCP (PS3.4 Annex A and B over PS3.8 TCP). Each association runs as its own task; received data
/// sets stream straight to a Part 10 file in the temp folder and are handed to the <see cref="IDicomStoreHandler"/>.
/// </summary>
public sealed class DicomServer : IAsyncDisposable
{
    private readonly DicomServerOptions _options;
    private readonly IDicomStoreHandler _storeHandler;
    private readonly IDicomAssociationPolicy _policy;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, Task> _associations = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private long _nextAssociationId;
    private int _activeAssociations;

    public DicomServer(
        DicomServerOptions options,
        IDicomStoreHandler storeHandler,
        IDicomAssociationPolicy? policy = null,
        ILogger<DicomServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storeHandler);
        options.Validate();
        _options = options with { };
        _storeHandler = storeHandler;
        _policy = policy ?? new DicomOptionsAssociationPolicy(_options);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        TempDirectory = _options.ResolveTempDirectory();
    }

    /// <summary>The port actually listened on; meaningful after <see cref="StartAsync"/>, and the ephemeral port when configured with 0.</summary>
    public int BoundPort { get; private set; }

    /// <summary>Associations currently established (accepted and not yet released or aborted).</summary>
    public int ActiveAssociations => Volatile.Read(ref _activeAssociations);

    /// <summary>Folder where data sets are written while they arrive.</summary>
    public string TempDirectory { get; }

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        Directory.CreateDirectory(TempDirectory);
        var address = string.IsNullOrEmpty(_options.BindAddress) ? IPAddress.Any : IPAddress.Parse(_options.BindAddress);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, _options.Port));
            listener.Listen(Math.Max(16, _options.MaxConcurrentAssociations));
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        BoundPort = endPoint.Port;
        NetworkLog.ServerListening(_logger, endPoint);
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken);
        }

        await Task.WhenAll(_associations.Values).WaitAsync(cancellationToken);
        _listener = null;
        NetworkLog.ServerStopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    /// <summary>Takes an association slot; false when the configured limit is reached.</summary>
    internal bool TryEnterAssociation()
    {
        if (Interlocked.Increment(ref _activeAssociations) <= _options.MaxConcurrentAssociations)
        {
            return true;
        }

        Interlocked.Decrement(ref _activeAssociations);
        return false;
    }

    internal void LeaveAssociation() => Interlocked.Decrement(ref _activeAssociations);

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stopping);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                NetworkLog.AcceptFailed(_logger, ex);
                continue;
            }

            socket.NoDelay = true;
            var id = Interlocked.Increment(ref _nextAssociationId);
            var association = new ScpAssociation(id, socket, _options, TempDirectory, _policy, _storeHandler, this, _logger);
            var task = Task.Run(
                async () =>
                {
                    using (association)
                    {
                        await association.RunAsync(stopping);
                    }
                },
                CancellationToken.None);
            _associations[id] = task;
            _ = task.ContinueWith(
                (_, state) => _associations.TryRemove((long)state!, out Task? _),
                id,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
