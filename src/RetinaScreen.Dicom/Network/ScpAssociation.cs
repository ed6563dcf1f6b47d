using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Network.Dimse;
using RetinaScreen.Dicom.Network.Pdus;

namespace RetinaScreen.Dicom.Network;

/// <summary>One accepted connection of <see cref="DicomServer"/>, from A-ASSOCIATE-RQ to release or abort (PS3.8 9.2 state machine, acceptor side).</summary>
internal sealed class ScpAssociation : IDisposable
{
    /// <summary>Command sets of C-ECHO/C-STORE are a few hundred bytes; anything this large is not a command.</summary>
    private const int MaxCommandLength = 64 * 1024;

    private static readonly string[] VerificationTransferSyntaxes = [DicomUids.ExplicitVrLittleEndian, DicomUids.ImplicitVrLittleEndian];

    private readonly long _id;
    private readonly Socket _socket;
    private readonly DicomServerOptions _options;
    private readonly string _tempDirectory;
    private readonly IDicomAssociationPolicy _policy;
    private readonly IDicomStoreHandler _storeHandler;
    private readonly DicomServer _server;
    private readonly ILogger _logger;
    private readonly Dictionary<byte, AcceptedContext> _contexts = [];
    private readonly PduBuilder _command = new(512);
    private IPEndPoint _remoteEndPoint = new(IPAddress.None, 0);
    private string _callingAeTitle = "";
    private string _calledAeTitle = "";
    private int _peerMaxFragment;
    private byte? _commandContextId;
    private IncomingDataSet? _incoming;
    private int _instances;
    private bool _idlePhase;

    public ScpAssociation(
        long id,
        Socket socket,
        DicomServerOptions options,
        string tempDirectory,
        IDicomAssociationPolicy policy,
        IDicomStoreHandler storeHandler,
        DicomServer server,
        ILogger logger)
    {
        _id = id;
        _socket = socket;
        _options = options;
        _tempDirectory = tempDirectory;
        _policy = policy;
        _storeHandler = storeHandler;
        _server = server;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var entered = false;
        var stream = Transport ?? new NetworkStream(_socket, ownsSocket: true);
        using var channel = new PduChannel(stream);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            _remoteEndPoint = (IPEndPoint)_socket.RemoteEndPoint!;
            entered = await NegotiateAsync(channel, stream, timer, stopping);
            if (entered)
            {
                _idlePhase = true;
                await ServeAsync(channel, stream, timer, stopping);
            }
        }
        catch (DicomPduException ex)
        {
            NetworkLog.AssociationAbortedLocally(_logger, _id, ex.Reason, ex);
            await AbortAsync(channel, stream, ex.Reason);
        }
        catch (FormatException ex)
        {
            NetworkLog.AssociationAbortedLocally(_logger, _id, DicomAbortReason.InvalidPduParameterValue, ex);
            await AbortAsync(channel, stream, DicomAbortReason.InvalidPduParameterValue);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await AbortAsync(channel, stream, DicomAbortReason.NotSpecified);
        }
        catch (OperationCanceledException)
        {
            if (_idlePhase)
            {
                NetworkLog.IdleTimeout(_logger, _id, _options.IdleTimeout);
            }
            else
            {
                NetworkLog.ArtimTimeout(_logger, _id, _options.ArtimTimeout);
            }

            await AbortAsync(channel, stream, DicomAbortReason.NotSpecified);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            NetworkLog.ConnectionLost(_logger, _id, ex);
        }
        catch (Exception ex)
        {
            NetworkLog.AssociationFailed(_logger, _id, ex);
            await AbortAsync(channel, stream, DicomAbortReason.NotSpecified);
        }
        finally
        {
            await DiscardIncomingAsync();
            await stream.DisposeAsync();
            if (entered)
            {
                _server.LeaveAssociation(PeerAddress);
            }
        }
    }

    /// <summary>The peer as the association limits count it: one address whether it arrives as IPv4 or IPv4-mapped IPv6.</summary>
    private IPAddress PeerAddress => _remoteEndPoint.Address.IsIPv4MappedToIPv6 ? _remoteEndPoint.Address.MapToIPv4() : _remoteEndPoint.Address;

    /// <summary>An already established transport over the socket (the TLS stream); null reads the socket directly.</summary>
    public Stream? Transport { get; init; }

    /// <summary>What the TLS handshake established, for the policy; null for plain TCP.</summary>
    public DicomTransportSecurity? Security { get; init; }

    public void Dispose() => _command.Dispose();

    private async Task<bool> NegotiateAsync(PduChannel channel, Stream stream, CancellationTokenSource timer, CancellationToken stopping)
    {
        var type = await ReadAsync(channel, AssociatePdu.MaxAssociatePduLength, _options.ArtimTimeout, timer);
        if (type is null)
        {
            return false;
        }

        if (type != PduType.AssociateRequest)
        {
            throw new DicomPduException(DicomAbortReason.UnexpectedPdu, $"Expected A-ASSOCIATE-RQ, received {type}.");
        }

        var request = AssociatePdu.Parse(channel.Body.Span, PduType.AssociateRequest);
        _callingAeTitle = request.CallingAeTitle;
        _calledAeTitle = request.CalledAeTitle;
        NetworkLog.AssociationRequested(_logger, _id, _remoteEndPoint, _callingAeTitle, _calledAeTitle);

        if ((request.ProtocolVersion & 1) == 0)
        {
            await RejectAsync(channel, stream, timer, DicomRejectResult.Permanent, DicomRejectSource.ServiceProviderAcse, DicomRejectReason.ProtocolVersionNotSupported);
            return false;
        }

        if (!string.Equals(request.ApplicationContextName, AssociatePdu.DicomApplicationContextName, StringComparison.Ordinal))
        {
            await RejectAsync(channel, stream, timer, DicomRejectResult.Permanent, DicomRejectSource.ServiceUser, DicomRejectReason.ApplicationContextNameNotSupported);
            return false;
        }

        if (!string.Equals(request.CalledAeTitle, _options.AeTitle.Trim(), StringComparison.Ordinal))
        {
            await RejectAsync(channel, stream, timer, DicomRejectResult.Permanent, DicomRejectSource.ServiceUser, DicomRejectReason.CalledAeTitleNotRecognized);
            return false;
        }

        if (!_policy.IsCallingPeerAccepted(request.CallingAeTitle, _remoteEndPoint, Security))
        {
            await RejectAsync(channel, stream, timer, DicomRejectResult.Permanent, DicomRejectSource.ServiceUser, DicomRejectReason.CallingAeTitleNotRecognized);
            return false;
        }

        if (!_server.TryEnterAssociation(PeerAddress))
        {
            await RejectAsync(channel, stream, timer, DicomRejectResult.Transient, DicomRejectSource.ServiceProviderPresentation, DicomRejectReason.LocalLimitExceeded);
            return false;
        }

        try
        {
            var accept = BuildAccept(request);
            _peerMaxFragment = PDataFraming.MaxFragmentLength(request.UserInformation.MaxPduLength, DicomServerOptions.MaxPduLengthCeiling);
            using var builder = new PduBuilder(1024);
            accept.Write(builder, PduType.AssociateAccept);
            await WriteAsync(channel, builder.WrittenMemory, timer);
            NetworkLog.AssociationAccepted(_logger, _id, _contexts.Count, request.Proposals.Count);
            return true;
        }
        catch
        {
            _server.LeaveAssociation(PeerAddress);
            throw;
        }
    }

    private AssociatePdu BuildAccept(AssociatePdu request)
    {
        var accept = new AssociatePdu
        {
            CalledAeTitle = request.CalledAeTitle,
            CallingAeTitle = request.CallingAeTitle,
        };

        foreach (var proposal in request.Proposals)
        {
            var decision = proposal.AbstractSyntaxUid == DicomUids.Verification
                ? DicomOptionsAssociationPolicy.SelectTransferSyntax(VerificationTransferSyntaxes, proposal.TransferSyntaxUids)
                : _policy.NegotiatePresentationContext(proposal.AbstractSyntaxUid, proposal.TransferSyntaxUids);
            if (decision.Result == DicomPresentationContextResult.Acceptance && decision.TransferSyntaxUid is { } transferSyntax)
            {
                _contexts[proposal.Id] = new AcceptedContext(proposal.AbstractSyntaxUid, transferSyntax);
                accept.Answers.Add(new PresentationContextAnswer(proposal.Id, decision.Result, transferSyntax));
            }
            else
            {
                // The transfer syntax sub-item is present but not significant when the context is not accepted (PS3.8 9.3.3.2).
                var result = decision.Result == DicomPresentationContextResult.Acceptance ? DicomPresentationContextResult.NoReason : decision.Result;
                accept.Answers.Add(new PresentationContextAnswer(proposal.Id, result, proposal.TransferSyntaxUids[0]));
            }
        }

        var info = accept.UserInformation;
        info.MaxPduLength = (uint)_options.MaxPduLength;
        info.ImplementationClassUid = DicomImplementation.ClassUid;
        info.ImplementationVersionName = DicomImplementation.VersionName;
        if (request.UserInformation.AsynchronousOperationsWindow is not null)
        {
            // Operations are performed one at a time.
            info.AsynchronousOperationsWindow = (1, 1);
        }

        var acceptedSyntaxes = _contexts.Values.Select(c => c.AbstractSyntaxUid).ToHashSet(StringComparer.Ordinal);
        foreach (var role in request.UserInformation.RoleSelections)
        {
            if (acceptedSyntaxes.Contains(role.SopClassUid))
            {
                // We only ever act as SCP for the requestor's SCU role.
                info.RoleSelections.Add(new RoleSelection(role.SopClassUid, role.ScuRole, ScpRole: false));
            }
        }

        return accept;
    }

    private async Task ServeAsync(PduChannel channel, Stream stream, CancellationTokenSource timer, CancellationToken stopping)
    {
        while (true)
        {
            var type = await ReadAsync(channel, _options.MaxPduLength, _options.IdleTimeout, timer);
            switch (type)
            {
                case null:
                    NetworkLog.ConnectionLost(_logger, _id, null);
                    return;
                case PduType.DataTransfer:
                    await HandleDataTransferAsync(channel, timer, stopping);
                    break;
                case PduType.ReleaseRequest:
                    await DiscardIncomingAsync();
                    await WriteAsync(channel, FixedPdus.ReleaseResponse(), timer);
                    NetworkLog.AssociationReleased(_logger, _id, _instances);
                    await CloseGracefullyAsync(stream);
                    return;
                case PduType.Abort:
                    var body = channel.Body.Span;
                    NetworkLog.AssociationAbortedByPeer(_logger, _id, body[2], body[3]);
                    return;
                default:
                    throw new DicomPduException(DicomAbortReason.UnexpectedPdu, $"Unexpected {type} on an established association.");
            }
        }
    }

    private async Task HandleDataTransferAsync(PduChannel channel, CancellationTokenSource timer, CancellationToken stopping)
    {
        var body = channel.Body;
        var position = 0;
        if (body.Length == 0)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "P-DATA-TF without PDVs.");
        }

        while (position < body.Length)
        {
            if (body.Length - position < PDataFraming.PdvHeaderLength)
            {
                throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "Truncated PDV header.");
            }

            var itemLength = BinaryPrimitives.ReadUInt32BigEndian(body.Span[position..]);
            if (itemLength < 2 || itemLength > (uint)(body.Length - position - 4))
            {
                throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "PDV length inconsistent with the PDU.");
            }

            var contextId = body.Span[position + 4];
            var control = body.Span[position + 5];
            var data = body.Slice(position + PDataFraming.PdvHeaderLength, (int)itemLength - 2);
            position += 4 + (int)itemLength;

            if (!_contexts.TryGetValue(contextId, out var context))
            {
                throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "PDV on a presentation context that was not accepted.");
            }

            var isLast = (control & PDataFraming.LastFragmentFlag) != 0;
            if ((control & PDataFraming.CommandFlag) != 0)
            {
                if (_incoming is not null || (_commandContextId is { } current && current != contextId))
                {
                    throw new DicomPduException(DicomAbortReason.UnexpectedPduParameter, "Command fragment interleaved with another message.");
                }

                if (_command.Length + data.Length > MaxCommandLength)
                {
                    throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, "Command set too large.");
                }

                _commandContextId = contextId;
                _command.WriteBytes(data.Span);
                if (isLast)
                {
                    var command = DimseCommand.Decode(_command.WrittenSpan);
                    _command.Clear();
                    _commandContextId = null;
                    await OnCommandAsync(channel, contextId, context, command, timer, stopping);
                }
            }
            else
            {
                if (_incoming is null || _incoming.ContextId != contextId)
                {
                    throw new DicomPduException(DicomAbortReason.UnexpectedPduParameter, "Data set fragment without a command announcing it.");
                }

                await WriteDataAsync(_incoming, data, stopping);
                if (isLast)
                {
                    var incoming = _incoming;
                    _incoming = null;
                    await CompleteDataSetAsync(channel, incoming, timer, stopping);
                }
            }
        }
    }

    private async Task OnCommandAsync(PduChannel channel, byte contextId, AcceptedContext context, DimseCommand command, CancellationTokenSource timer, CancellationToken stopping)
    {
        switch (command.CommandField)
        {
            case DimseCommandField.CEchoRequest when !command.HasDataSet:
                NetworkLog.EchoReceived(_logger, _id);
                await SendResponseAsync(channel, contextId, new DimseCommand
                {
                    CommandField = DimseCommandField.CEchoResponse,
                    AffectedSopClassUid = command.AffectedSopClassUid ?? DicomUids.Verification,
                    MessageIdBeingRespondedTo = command.MessageId ?? 0,
                    Status = DicomStatus.Success,
                }, timer);
                break;
            case DimseCommandField.CStoreRequest when command.HasDataSet:
                _incoming = await BeginDataSetAsync(contextId, context, command, stopping);
                break;
            case DimseCommandField.CStoreRequest:
                await SendResponseAsync(channel, contextId, StoreResponse(command, DicomStatus.CannotUnderstand, "C-STORE without a data set"), timer);
                break;
            case DimseCommandField.CCancelRequest:
                // Nothing runs concurrently, so there is nothing to cancel (and C-CANCEL has no response).
                break;
            default:
                NetworkLog.UnsupportedCommand(_logger, _id, command.CommandField);
                if (command.HasDataSet)
                {
                    // Read and discarded, but within the same bound as a stored data set.
                    _incoming = new IncomingDataSet(contextId, context, command)
                    {
                        FailureStatus = DicomStatus.UnrecognizedOperation,
                        Budget = OpenBudget(context, command),
                    };
                }
                else
                {
                    await SendResponseAsync(channel, contextId, UnrecognizedResponse(command), timer);
                }

                break;
        }
    }

    private async Task<IncomingDataSet> BeginDataSetAsync(byte contextId, AcceptedContext context, DimseCommand command, CancellationToken stopping)
    {
        var incoming = new IncomingDataSet(contextId, context, command) { Budget = OpenBudget(context, command) };
        if (string.IsNullOrEmpty(command.AffectedSopClassUid) || string.IsNullOrEmpty(command.AffectedSopInstanceUid))
        {
            incoming.FailureStatus = DicomStatus.CannotUnderstand;
            incoming.FailureComment = "Affected SOP class or instance UID missing";
        }
        else if (!string.Equals(command.AffectedSopClassUid, context.AbstractSyntaxUid, StringComparison.Ordinal))
        {
            // The command must name the SOP class the context was negotiated for (PS3.7 9.1.1.1.2).
            incoming.FailureStatus = DicomStatus.SopClassNotSupported;
            incoming.FailureComment = "SOP class differs from the presentation context";
        }

        else if (!incoming.Budget.TryReserve(0))
        {
            // No room even to begin: the data set is read without being written, and refused when it ends.
            incoming.FailureStatus = DicomStatus.OutOfResources;
            incoming.FailureComment = "Storage is below its free-space watermark";
        }

        if (incoming.FailureStatus is { } refused)
        {
            NetworkLog.StoreRefused(_logger, _id, refused);
            return incoming;
        }

        var path = Path.Combine(_tempDirectory, $"{Guid.NewGuid():N}.part");
        try
        {
            incoming.Path = path;
            incoming.File = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 64 * 1024,
            });
            using var meta = new MemoryStream(512);
            FileMetaInformationWriter.Write(meta, new FileMetaInformation(
                command.AffectedSopClassUid!,
                command.AffectedSopInstanceUid!,
                context.TransferSyntaxUid,
                _callingAeTitle));
            incoming.Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            incoming.Hash.AppendData(meta.GetBuffer(), 0, (int)meta.Length);
            await incoming.File.WriteAsync(meta.GetBuffer().AsMemory(0, (int)meta.Length), stopping);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            NetworkLog.TempFileWriteFailed(_logger, _id, ex);
            await incoming.DeleteFileAsync(_logger);
            incoming.FailureStatus = DicomStatus.OutOfResources;
        }

        return incoming;
    }

    private IDicomReceiveBudget OpenBudget(AcceptedContext context, DimseCommand command) =>
        _storeHandler.OpenReceiveBudget(new DicomStoreAnnouncement(context.AbstractSyntaxUid, command.AffectedSopInstanceUid, _callingAeTitle, _remoteEndPoint));

    private async Task WriteDataAsync(IncomingDataSet incoming, ReadOnlyMemory<byte> data, CancellationToken stopping)
    {
        incoming.DatasetLength += data.Length;
        if (incoming.Budget is { } budget && incoming.DatasetLength > budget.MaxDatasetBytes)
        {
            // Checked before anything is written, whether the data set is being kept or discarded: past its bound
            // the transfer stops here rather than after the sender has spent it.
            NetworkLog.DatasetTooLarge(_logger, _id, incoming.Context.AbstractSyntaxUid, budget.MaxDatasetBytes);
            throw new DicomPduException(DicomAbortReason.NotSpecified, "Data set larger than its SOP class allows.");
        }

        if (incoming.File is null)
        {
            return;
        }

        if (incoming.Budget is { } room && !room.TryReserve(incoming.DatasetLength))
        {
            NetworkLog.NoRoomForDataset(_logger, _id, incoming.DatasetLength);
            await incoming.DeleteFileAsync(_logger);
            incoming.FailureStatus = DicomStatus.OutOfResources;
            incoming.FailureComment = "Storage is below its free-space watermark";
            return;
        }

        try
        {
            // Hashed as it is written, so the store need not read the file again to name it (content addressing).
            incoming.Hash?.AppendData(data.Span);
            await incoming.File.WriteAsync(data, stopping);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Keep reading the rest of the data set so the association survives and the sender gets a precise status.
            NetworkLog.TempFileWriteFailed(_logger, _id, ex);
            await incoming.DeleteFileAsync(_logger);
            incoming.FailureStatus = DicomStatus.OutOfResources;
        }
    }

    private async Task CompleteDataSetAsync(PduChannel channel, IncomingDataSet incoming, CancellationTokenSource timer, CancellationToken stopping)
    {
        DimseCommand response;
        try
        {
            if (incoming.Request.CommandField != DimseCommandField.CStoreRequest)
            {
                response = UnrecognizedResponse(incoming.Request);
            }
            else
            {
                var result = incoming.FailureStatus is { } failure
                    ? new DicomStoreResult(failure, incoming.FailureComment)
                    : await HandOverAsync(incoming, stopping);
                response = StoreResponse(incoming.Request, result.Status, result.ErrorComment);
                NetworkLog.StoreCompleted(_logger, _id, incoming.Request.AffectedSopClassUid ?? "", incoming.Request.AffectedSopInstanceUid ?? "", incoming.DatasetLength, result.Status);
            }
        }
        finally
        {
            await incoming.DeleteFileAsync(_logger);
        }

        _instances++;
        await SendResponseAsync(channel, incoming.ContextId, response, timer);
    }

    private async Task<DicomStoreResult> HandOverAsync(IncomingDataSet incoming, CancellationToken stopping)
    {
        try
        {
            var file = incoming.File!;
            incoming.File = null;
            await using (file)
            {
                await file.FlushAsync(stopping);
                if (_options.FlushTempFileToDisk)
                {
                    file.Flush(flushToDisk: true);
                }
            }

            // Every byte is on disk now, where free space counts it: what was reserved for it is given back.
            incoming.Budget?.Dispose();
        }
        catch (IOException ex)
        {
            NetworkLog.TempFileWriteFailed(_logger, _id, ex);
            return new DicomStoreResult(DicomStatus.OutOfResources);
        }

        var request = new DicomStoreRequest(
            incoming.Request.AffectedSopClassUid!,
            incoming.Request.AffectedSopInstanceUid!,
            incoming.Context.TransferSyntaxUid,
            _callingAeTitle,
            _calledAeTitle,
            _remoteEndPoint,
            incoming.Path!,
            incoming.DatasetLength)
        {
            Security = Security,
            Sha256 = incoming.Hash is { } hash ? Convert.ToHexStringLower(hash.GetHashAndReset()) : null,
        };
        try
        {
            return await _storeHandler.StoreAsync(request, stopping) ?? new DicomStoreResult(DicomStatus.ProcessingFailure);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && stopping.IsCancellationRequested))
        {
            NetworkLog.StoreHandlerFailed(_logger, _id, ex);
            return new DicomStoreResult(DicomStatus.ProcessingFailure);
        }
    }

    private static DimseCommand StoreResponse(DimseCommand request, ushort status, string? errorComment) => new()
    {
        CommandField = DimseCommandField.CStoreResponse,
        AffectedSopClassUid = request.AffectedSopClassUid,
        AffectedSopInstanceUid = request.AffectedSopInstanceUid,
        MessageIdBeingRespondedTo = request.MessageId ?? 0,
        Status = status,
        ErrorComment = DicomStatus.IsSuccess(status) ? null : errorComment,
    };

    private static DimseCommand UnrecognizedResponse(DimseCommand request) => new()
    {
        CommandField = (ushort)(request.CommandField | DimseCommandField.ResponseBit),
        AffectedSopClassUid = request.AffectedSopClassUid,
        MessageIdBeingRespondedTo = request.MessageId ?? 0,
        Status = DicomStatus.UnrecognizedOperation,
    };

    private Task SendResponseAsync(PduChannel channel, byte contextId, DimseCommand response, CancellationTokenSource timer) =>
        Timed(timer, _options.IdleTimeout, token => PDataFraming.SendCommandAsync(channel, contextId, response.Encode(), _peerMaxFragment, token));

    private static async Task<PduType?> ReadAsync(PduChannel channel, int maxBodyLength, TimeSpan timeout, CancellationTokenSource timer)
    {
        timer.CancelAfter(timeout);
        try
        {
            return await channel.ReadAsync(maxBodyLength, timer.Token);
        }
        finally
        {
            timer.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private Task WriteAsync(PduChannel channel, ReadOnlyMemory<byte> pdu, CancellationTokenSource timer) =>
        Timed(timer, _options.IdleTimeout, token => channel.WriteAsync(pdu, token));

    /// <summary>Arms the timer only around network I/O, so a slow store handler is never mistaken for an idle peer.</summary>
    private static async Task Timed(CancellationTokenSource timer, TimeSpan timeout, Func<CancellationToken, ValueTask> operation)
    {
        timer.CancelAfter(timeout);
        try
        {
            await operation(timer.Token);
        }
        finally
        {
            timer.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private async Task RejectAsync(PduChannel channel, Stream stream, CancellationTokenSource timer, DicomRejectResult result, DicomRejectSource source, byte reason)
    {
        NetworkLog.AssociationRejected(_logger, _id, result, source, reason);
        await WriteAsync(channel, FixedPdus.Reject(result, source, reason), timer);
        await CloseGracefullyAsync(stream);
    }

    private async Task AbortAsync(PduChannel channel, Stream stream, DicomAbortReason reason)
    {
        await channel.TryAbortAsync(DicomAbortSource.ServiceProvider, reason);
        await CloseGracefullyAsync(stream);
    }

    /// <summary>
    /// Half-closes and drains briefly before closing: closing a socket with unread input sends a TCP reset, which can
    /// destroy the A-ASSOCIATE-RJ or A-ABORT we just sent before the peer reads it.
    /// </summary>
    private async Task CloseGracefullyAsync(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            using var linger = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var drained = 0;
            while (drained < 1024 * 1024)
            {
                var read = await stream.ReadAsync(buffer, linger.Token);
                if (read == 0)
                {
                    break;
                }

                drained += read;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone or too chatty; close anyway.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task DiscardIncomingAsync()
    {
        var incoming = _incoming;
        _incoming = null;
        if (incoming is not null)
        {
            await incoming.DeleteFileAsync(_logger);
        }
    }

    private sealed record AcceptedContext(string AbstractSyntaxUid, string TransferSyntaxUid);

    /// <summary>A data set being received for one command; <see cref="File"/> is null when it is being discarded.</summary>
    private sealed class IncomingDataSet(byte contextId, AcceptedContext context, DimseCommand request)
    {
        public byte ContextId { get; } = contextId;

        public AcceptedContext Context { get; } = context;

        public DimseCommand Request { get; } = request;

        public FileStream? File { get; set; }

        /// <summary>The handler's bounds for this data set; disposed once the data set is on disk or discarded.</summary>
        public IDicomReceiveBudget? Budget { get; init; }

        /// <summary>SHA-256 of every byte written to <see cref="File"/> so far, preamble and group 0002 included.</summary>
        public IncrementalHash? Hash { get; set; }

        public string? Path { get; set; }

        public long DatasetLength { get; set; }

        public ushort? FailureStatus { get; set; }

        public string? FailureComment { get; set; }

        /// <summary>Nothing half-written may remain; a handler that took the file has already moved it away.</summary>
        public async Task DeleteFileAsync(ILogger logger)
        {
            Budget?.Dispose();
            Hash?.Dispose();
            Hash = null;
            var file = File;
            File = null;
            if (file is not null)
            {
                try
                {
                    await file.DisposeAsync();
                }
                catch (IOException)
                {
                    // Flushing failed (disk full); the file is deleted below anyway.
                }
            }

            if (Path is { } path)
            {
                try
                {
                    System.IO.File.Delete(path);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    NetworkLog.TempFileDeleteFailed(logger, ex);
                }
            }
        }
    }
}
