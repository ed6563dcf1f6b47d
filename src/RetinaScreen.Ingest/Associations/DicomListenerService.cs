using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Ingest.Associations;

/// <summary>Runs the DICOM C-ECHO/C-STORE SCP for the lifetime of the host.</summary>
public sealed partial class DicomListenerService(
    IOptions<DicomServerOptions> options,
    CStoreHandler storeHandler,
    DeviceAssociationPolicy policy,
    ILogger<DicomServer> serverLogger,
    ILogger<DicomListenerService> logger) : IHostedService, IAsyncDisposable
{
    private DicomServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        RemoveLeftoverArrivals(settings.TempDirectory);
        try
        {
            _server = new DicomServer(settings, storeHandler, policy, serverLogger);
            await _server.StartAsync(cancellationToken);
        }
        catch (DicomTlsConfigurationException ex)
        {
            // The host must not come up without the secure port it was configured with: fail the start, naming the
            // setting as an operator writes it.
            var setting = $"RetinaScreen:Dicom:Tls:{ex.Setting}";
            LogTlsConfigurationInvalid(logger, setting, ex.Detail);
            throw new InvalidOperationException($"Invalid DICOM TLS configuration {setting} (environment RetinaScreen__Dicom__Tls__{ex.Setting}): {ex.Detail}", ex);
        }

        LogListening(logger, settings.AeTitle, _server.BoundPort);
        if (settings.Tls.IsEnabled)
        {
            LogTlsListening(logger, settings.AeTitle, _server.BoundTlsPort, settings.Tls.RequireClientCertificate);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// Files in the arrival folder at start belong to associations of a process that died: none of them was
    /// answered with success, so none may be kept.
    /// </summary>
    private static void RemoveLeftoverArrivals(string? folder)
    {
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder))
        {
            File.Delete(file);
        }
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "DICOM SCP {AeTitle} listening on port {Port}")]
    private static partial void LogListening(ILogger logger, string aeTitle, int port);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Critical, Message = "Invalid DICOM TLS configuration {Setting}: {Reason}; the host does not start")]
    private static partial void LogTlsConfigurationInvalid(ILogger logger, string setting, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "DICOM TLS SCP {AeTitle} listening on port {Port} (client certificate required: {RequireClientCertificate})")]
    private static partial void LogTlsListening(ILogger logger, string aeTitle, int port, bool requireClientCertificate);
}
