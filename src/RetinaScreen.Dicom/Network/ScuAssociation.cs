using System.Buffers;
using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using RetinaScreen.Dicom.Network.Dimse;
using RetinaScreen.Dicom.Network.Pdus;

namespace RetinaScreen.Dicom.Network;

/// <summary>The requestor side of one association (PS3.8 9.2 state machine, requestor side), used by <see cref="DicomClient"/>.</summary>
internal sealed class ScuAssociation : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PduChannel _channel;
    private readonly DicomClientOptions _options;
    private readonly Dictionary<byte, string> _acceptedTransferSyntaxes = [];
    private readonly PduBuilder _command = new(256);
    private int _maxFragment;
    private bool _closed;

    private ScuAssociation(Stream stream, DicomClientOptions options)
    {
        _stream = stream;
        _channel = new PduChannel(_stream);
        _options = options;
    }

    public uint PeerMaxPduLength { get; private set; }

    public int AcceptedCount => _acceptedTransferSyntaxes.Count;

    public static async Task<ScuAssociation> OpenAsync(
        string host,
        int port,
        string callingAeTitle,
        string calledAeTitle,
        IReadOnlyList<PresentationContextProposal> proposals,
        DicomClientOptions options,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        ScuAssociation? association = null;
        Stream? stream = null;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(options.ConnectTimeout);
                await socket.ConnectAsync(host, port, connectTimeout.Token);
                stream = new NetworkStream(socket, ownsSocket: true);
                if (options.Tls is { } tls)
                {
                    var secure = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = secure;
                    await secure.AuthenticateAsClientAsync(
                        DicomTls.ClientOptions(tls.TargetHost ?? host, tls.ClientCertificate, tls.TrustAnchors), connectTimeout.Token);
                }
            }

            association = new ScuAssociation(stream, options);
            await association.NegotiateAsync(callingAeTitle, calledAeTitle, proposals, cancellationToken);
            return association;
        }
        catch
        {
            if (association is not null)
            {
                await association.DisposeAsync();
            }
            else if (stream is not null)
            {
                await stream.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    public bool TryGetAccepted(byte contextId, out string transferSyntaxUid) =>
        _acceptedTransferSyntaxes.TryGetValue(contextId, out transferSyntaxUid!);

    public Task SendCommandAsync(byte contextId, DimseCommand command, CancellationToken cancellationToken) =>
        TimedAsync(_options.ResponseTimeout, token => PDataFraming.SendCommandAsync(_channel, contextId, command.Encode(), _maxFragment, token).AsTask(), cancellationToken);

    /// <summary>
    /// Streams a data set as one PDV per PDU, each filling the peer's maximum. One fragment is read ahead, because the
    /// last fragment must be flagged as such and a stream's end is only known by reading past it.
    /// </summary>
    public async Task SendDataSetAsync(byte contextId, Stream source, CancellationToken cancellationToken)
    {
        var current = ArrayPool<byte>.Shared.Rent(_maxFragment + PDataFraming.HeadersLength);
        var next = ArrayPool<byte>.Shared.Rent(_maxFragment + PDataFraming.HeadersLength);
        try
        {
            var currentLength = await FillAsync(source, current, cancellationToken);
            while (true)
            {
                var nextLength = currentLength < _maxFragment ? 0 : await FillAsync(source, next, cancellationToken);
                var isLast = nextLength == 0;
                PDataFraming.WriteHeaders(current, contextId, currentLength, isCommand: false, isLast);
                var pdu = current.AsMemory(0, PDataFraming.HeadersLength + currentLength);
                await TimedAsync(_options.ResponseTimeout, token => _channel.WriteAsync(pdu, token).AsTask(), cancellationToken);
                if (isLast)
                {
                    return;
                }

                (current, next) = (next, current);
                currentLength = nextLength;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    /// <summary>Reads PDUs until one complete command set has arrived; data set fragments of responses are ignored.</summary>
    public async Task<DimseCommand> ReceiveCommandAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var type = await ReadAsync(_options.MaxPduLength, _options.ResponseTimeout, cancellationToken);
            if (type != PduType.DataTransfer)
            {
                throw await UnexpectedAsync(type);
            }

            var body = _channel.Body;
            var position = 0;
            while (position < body.Length)
            {
                if (body.Length - position < PDataFraming.PdvHeaderLength)
                {
                    throw await ProtocolErrorAsync("Truncated PDV header.");
                }

                var itemLength = BinaryPrimitives.ReadUInt32BigEndian(body.Span[position..]);
                if (itemLength < 2 || itemLength > (uint)(body.Length - position - 4))
                {
                    throw await ProtocolErrorAsync("PDV length inconsistent with the PDU.");
                }

                var control = body.Span[position + 5];
                var data = body.Span.Slice(position + PDataFraming.PdvHeaderLength, (int)itemLength - 2);
                position += 4 + (int)itemLength;
                if ((control & PDataFraming.CommandFlag) == 0)
                {
                    continue;
                }

                if (_command.Length + data.Length > 64 * 1024)
                {
                    throw await ProtocolErrorAsync("Command set too large.");
                }

                _command.WriteBytes(data);
                if ((control & PDataFraming.LastFragmentFlag) != 0)
                {
                    try
                    {
                        return DimseCommand.Decode(_command.WrittenSpan);
                    }
                    catch (FormatException ex)
                    {
                        throw await ProtocolErrorAsync(ex.Message);
                    }
                    finally
                    {
                        _command.Clear();
                    }
                }
            }
        }
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await TimedAsync(_options.AssociationTimeout, token => _channel.WriteAsync(FixedPdus.ReleaseRequest(), token).AsTask(), cancellationToken);
        while (true)
        {
            var type = await ReadAsync(_options.MaxPduLength, _options.AssociationTimeout, cancellationToken);
            if (type == PduType.ReleaseResponse)
            {
                _closed = true;
                return;
            }

            if (type != PduType.DataTransfer)
            {
                throw await UnexpectedAsync(type);
            }
        }
    }

    /// <summary>Ends the association abruptly, e.g. when a data set could not be read to its end.</summary>
    public async Task AbortAsync()
    {
        if (!_closed)
        {
            _closed = true;
            await _channel.TryAbortAsync(DicomAbortSource.ServiceUser, DicomAbortReason.NotSpecified);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            await AbortAsync();
        }

        _channel.Dispose();
        _command.Dispose();
        await _stream.DisposeAsync();
    }

    private async Task NegotiateAsync(string callingAeTitle, string calledAeTitle, IReadOnlyList<PresentationContextProposal> proposals, CancellationToken cancellationToken)
    {
        var request = new AssociatePdu { CalledAeTitle = calledAeTitle, CallingAeTitle = callingAeTitle };
        request.Proposals.AddRange(proposals);
        request.UserInformation.MaxPduLength = (uint)_options.MaxPduLength;
        request.UserInformation.ImplementationClassUid = DicomImplementation.ClassUid;
        request.UserInformation.ImplementationVersionName = DicomImplementation.VersionName;
        using (var builder = new PduBuilder(1024))
        {
            request.Write(builder, PduType.AssociateRequest);
            var pdu = builder.WrittenMemory;
            await TimedAsync(_options.AssociationTimeout, token => _channel.WriteAsync(pdu, token).AsTask(), cancellationToken);
        }

        var type = await ReadAsync(AssociatePdu.MaxAssociatePduLength, _options.AssociationTimeout, cancellationToken);
        switch (type)
        {
            case PduType.AssociateAccept:
                AssociatePdu accept;
                try
                {
                    accept = AssociatePdu.Parse(_channel.Body.Span, PduType.AssociateAccept);
                }
                catch (DicomPduException ex)
                {
                    throw await ProtocolErrorAsync(ex.Message, ex.Reason);
                }

                foreach (var answer in accept.Answers)
                {
                    // Only a transfer syntax we proposed for that context is usable; anything else is treated as a rejection.
                    var proposal = proposals.FirstOrDefault(p => p.Id == answer.Id);
                    if (answer.Result == DicomPresentationContextResult.Acceptance && proposal is not null && proposal.TransferSyntaxUids.Contains(answer.TransferSyntaxUid))
                    {
                        _acceptedTransferSyntaxes[answer.Id] = answer.TransferSyntaxUid;
                    }
                }

                PeerMaxPduLength = accept.UserInformation.MaxPduLength;
                _maxFragment = PDataFraming.MaxFragmentLength(PeerMaxPduLength, Math.Max(1024, _options.MaxSendPduLength));
                return;
            case PduType.AssociateReject:
                _closed = true;
                var body = _channel.Body.Span;
                throw new DicomAssociationRejectedException((DicomRejectResult)body[1], (DicomRejectSource)body[2], body[3]);
            default:
                throw await UnexpectedAsync(type);
        }
    }

    private async Task<PduType?> ReadAsync(int maxBodyLength, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            return await _channel.ReadAsync(maxBodyLength, timer.Token);
        }
        catch (DicomPduException ex)
        {
            throw await ProtocolErrorAsync(ex.Message, ex.Reason);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await AbortAsync();
            throw new TimeoutException("The DICOM peer did not answer in time.");
        }
    }

    private static async Task TimedAsync(TimeSpan timeout, Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await operation(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("Sending to the DICOM peer timed out.");
        }
    }

    private async Task<Exception> UnexpectedAsync(PduType? type)
    {
        switch (type)
        {
            case null:
                _closed = true;
                return new DicomNetworkException("The DICOM peer closed the connection.");
            case PduType.Abort:
                _closed = true;
                var body = _channel.Body.Span;
                return new DicomAssociationAbortedException((DicomAbortSource)body[2], (DicomAbortReason)body[3]);
            default:
                return await ProtocolErrorAsync($"Unexpected {type}.", DicomAbortReason.UnexpectedPdu);
        }
    }

    private async Task<Exception> ProtocolErrorAsync(string message, DicomAbortReason reason = DicomAbortReason.InvalidPduParameterValue)
    {
        if (!_closed)
        {
            _closed = true;
            await _channel.TryAbortAsync(DicomAbortSource.ServiceProvider, reason);
        }

        return new DicomNetworkException($"DICOM protocol error from the peer: {message}");
    }

    private async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken) =>
        await source.ReadAtLeastAsync(buffer.AsMemory(PDataFraming.HeadersLength, _maxFragment), _maxFragment, throwOnEndOfStream: false, cancellationToken);
}
