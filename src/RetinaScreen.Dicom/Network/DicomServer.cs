using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RetinaScreen.Dicom.Network;

/// <summary>
/// C-ECHO and C-STORE SCP (PS3.4 Annex A and B over PS3.8 TCP). Each association runs as its own task; received data
/// sets stream straight to a Part 10 file in the temp folder and are handed to the <see cref="IDicomStoreHandler"/>.
/// With <see cref="DicomServerOptions.Tls"/> configured, a second port serves the same associations over TLS (PS3.15 B.9).
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
    private Socket? _tlsListener;
    private Task? _tlsAcceptLoop;
    private long _nextAssociationId;
    private int _activeAssociations;

    /// <summary>Associations held per remote address (IPv4-mapped IPv6 addresses are counted as IPv4).</summary>
    private readonly Dictionary<IPAddress, int> _perPeer = [];

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

    /// <summary>The TLS port actually listened on after <see cref="StartAsync"/>; 0 when TLS is not configured.</summary>
    public int BoundTlsPort { get; private set; }

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
        // A configured but unreadable certificate fails the start rather than leaving the secure port silently closed.
        var tls = _options.Tls.IsEnabled ? new DicomTlsServerContext(_options.Tls, _logger) : null;
        var listener = Listen(address, _options.Port);
        Socket? tlsListener = null;
        try
        {
            tlsListener = tls is null ? null : Listen(address, _options.Tls.Port);
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
        _acceptLoop = AcceptLoopAsync(listener, tls: null, _stopping.Token);
        if (tlsListener is not null)
        {
            _tlsListener = tlsListener;
            var tlsEndPoint = (IPEndPoint)tlsListener.LocalEndPoint!;
            BoundTlsPort = tlsEndPoint.Port;
            NetworkLog.TlsServerListening(_logger, tlsEndPoint, _options.Tls.RequireClientCertificate);
            _tlsAcceptLoop = AcceptLoopAsync(tlsListener, tls, _stopping.Token);
        }

        return Task.CompletedTask;
    }

    private Socket Listen(IPAddress address, int port)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(Math.Max(16, _options.MaxConcurrentAssociations));
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        _tlsListener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken);
        }

        if (_tlsAcceptLoop is not null)
        {
            await _tlsAcceptLoop.WaitAsync(cancellationToken);
        }

        await Task.WhenAll(_associations.Values).WaitAsync(cancellationToken);
        _listener = null;
        _tlsListener = null;
        NetworkLog.ServerStopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    /// <summary>Takes an association slot for a peer; false when that peer's limit or the total limit is reached.</summary>
    internal bool TryEnterAssociation(IPAddress peer)
    {
        lock (_perPeer)
        {
            var held = _perPeer.GetValueOrDefault(peer);
            if (held >= _options.MaxAssociationsPerPeer)
            {
                return false;
            }

            if (Interlocked.Increment(ref _activeAssociations) > _options.MaxConcurrentAssociations)
            {
                Interlocked.Decrement(ref _activeAssociations);
                return false;
            }

            _perPeer[peer] = held + 1;
            return true;
        }
    }

    internal void LeaveAssociation(IPAddress peer)
    {
        lock (_perPeer)
        {
            Interlocked.Decrement(ref _activeAssociations);
            var held = _perPeer.GetValueOrDefault(peer) - 1;
            if (held > 0)
            {
                _perPeer[peer] = held;
            }
            else
            {
                _perPeer.Remove(peer);
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listener, DicomTlsServerContext? tls, CancellationToken stopping)
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
            var task = Task.Run(() => tls is null ? RunAssociationAsync(id, socket, null, null, stopping) : RunTlsAssociationAsync(id, socket, tls, stopping), CancellationToken.None);
            _associations[id] = task;
            _ = task.ContinueWith(
                (_, state) => _associations.TryRemove((long)state!, out Task? _),
                id,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task RunAssociationAsync(long id, Socket socket, Stream? transport, DicomTransportSecurity? security, CancellationToken stopping)
    {
        using var association = new ScpAssociation(id, socket, _options, TempDirectory, _policy, _storeHandler, this, _logger)
        {
            Transport = transport,
            Security = security,
        };
        await association.RunAsync(stopping);
    }

    /// <summary>
    /// The handshake runs on the connection's own task under its own timeout, so a peer that never completes it holds
    /// neither the accept loop nor an association slot for longer than that.
    /// </summary>
    private async Task RunTlsAssociationAsync(long id, Socket socket, DicomTlsServerContext tls, CancellationToken stopping)
    {
        SslStream stream;
        DicomTransportSecurity security;
        try
        {
            (stream, security) = await tls.AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), stopping);
        }
        catch (Exception ex)
        {
            // Whatever failed the handshake (a plain-TCP peer, a refused certificate, silence, a platform TLS error),
            // the SslStream has closed the socket; it ends here and never reaches the association code.
            NetworkLog.TlsHandshakeFailed(_logger, id, ex);
            return;
        }

        NetworkLog.TlsEstablished(_logger, id, security.Protocol, security.ClientCertificate is not null);
        await RunAssociationAsync(id, socket, stream, security, stopping);
    }
}
