using System.Buffers;
using System.Buffers.Binary;

namespace RetinaScreen.Dicom.Network.Pdus;

/// <summary>
/// Frames PDUs on a byte stream. Each received PDU body is read into one pooled buffer whose size is bounded by the
/// caller's limit, checked against the header before anything is allocated: a peer claiming a 4 GB PDU costs six bytes.
/// </summary>
internal sealed class PduChannel : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _header = new byte[6];
    private byte[] _body = [];
    private int _bodyLength;

    public PduChannel(Stream stream)
    {
        _stream = stream;
    }

    public ReadOnlyMemory<byte> Body => _body.AsMemory(0, _bodyLength);

    /// <summary>Reads the next PDU; null when the peer closed the connection between PDUs.</summary>
    public async ValueTask<PduType?> ReadAsync(int maxBodyLength, CancellationToken cancellationToken)
    {
        var read = await _stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }

        if (read < _header.Length)
        {
            throw new EndOfStreamException("Connection closed inside a PDU header.");
        }

        var type = _header[0];
        if (type is < (byte)PduType.AssociateRequest or > (byte)PduType.Abort)
        {
            throw new DicomPduException(DicomAbortReason.UnrecognizedPdu, $"Unrecognized PDU type 0x{type:X2}.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(2));
        if (length > (uint)maxBodyLength)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, $"PDU length {length} exceeds the limit {maxBodyLength}.");
        }

        var pduType = (PduType)type;
        if ((pduType is PduType.AssociateReject or PduType.ReleaseRequest or PduType.ReleaseResponse or PduType.Abort) && length != 4)
        {
            throw new DicomPduException(DicomAbortReason.InvalidPduParameterValue, $"PDU type {pduType} must have length 4.");
        }

        EnsureCapacity((int)length);
        await _stream.ReadExactlyAsync(_body.AsMemory(0, (int)length), cancellationToken);
        _bodyLength = (int)length;
        return pduType;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> pdu, CancellationToken cancellationToken) =>
        _stream.WriteAsync(pdu, cancellationToken);

    /// <summary>Sends an A-ABORT without letting a dead peer delay the caller's cleanup.</summary>
    public async Task TryAbortAsync(DicomAbortSource source, DicomAbortReason reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _stream.WriteAsync(FixedPdus.Abort(source, reason), timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The abort is a courtesy; the connection is closed right after either way.
        }
    }

    public void Dispose()
    {
        var body = _body;
        _body = [];
        if (body.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private void EnsureCapacity(int length)
    {
        if (_body.Length >= length)
        {
            return;
        }

        if (_body.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_body);
        }

        _body = ArrayPool<byte>.Shared.Rent(Math.Max(length, 4096));
    }
}
