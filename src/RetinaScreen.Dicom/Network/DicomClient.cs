using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RetinaScreen.Dicom.Network.Dimse;
using RetinaScreen.Dicom.Network.Pdus;

namespace RetinaScreen.Dicom.Network;

/// <summary>C-ECHO and C-STORE SCU: one association per call, released when the work is done.</summary>
public sealed class DicomClient
{
    /// <summary>Presentation context ids are odd and one byte wide, so an association carries at most 128 (PS3.8 9.3.2.2).</summary>
    private const int MaxPresentationContexts = 128;

    private static readonly string[] UncompressedTransferSyntaxes = [DicomUids.ExplicitVrLittleEndian, DicomUids.ImplicitVrLittleEndian];

    private readonly DicomClientOptions _options;
    private readonly ILogger _logger;

    public DicomClient(DicomClientOptions? options = null, ILogger<DicomClient>? logger = null)
    {
        _options = options ?? new DicomClientOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Sends a C-ECHO and returns the peer's DIMSE status (0x0000 when the peer is alive and answering).</summary>
    /// <exception cref="DicomAssociationRejectedException">The peer rejected the association.</exception>
    public async Task<ushort> EchoAsync(string host, int port, string callingAeTitle, string calledAeTitle, CancellationToken cancellationToken = default)
    {
        ValidateAeTitles(callingAeTitle, calledAeTitle);
        NetworkLog.ClientConnecting(_logger, host, port, callingAeTitle, calledAeTitle);
        PresentationContextProposal[] proposals = [new PresentationContextProposal(1, DicomUids.Verification, UncompressedTransferSyntaxes)];
        await using var association = await ScuAssociation.OpenAsync(host, port, callingAeTitle, calledAeTitle, proposals, _options, cancellationToken);
        NetworkLog.ClientAssociated(_logger, association.AcceptedCount, proposals.Length, association.PeerMaxPduLength);
        if (!association.TryGetAccepted(1, out _))
        {
            await association.ReleaseAsync(cancellationToken);
            throw new DicomNetworkException("The peer did not accept the Verification SOP class.");
        }

        await association.SendCommandAsync(1, new DimseCommand
        {
            CommandField = DimseCommandField.CEchoRequest,
            AffectedSopClassUid = DicomUids.Verification,
            MessageId = 1,
            HasDataSet = false,
        }, cancellationToken);
        var response = await association.ReceiveCommandAsync(cancellationToken);
        if (response.CommandField != DimseCommandField.CEchoResponse || response.MessageIdBeingRespondedTo != 1 || response.Status is null)
        {
            throw new DicomNetworkException("The peer answered the C-ECHO with an unexpected message.");
        }

        await association.ReleaseAsync(cancellationToken);
        NetworkLog.ClientReleased(_logger);
        return response.Status.Value;
    }

    /// <summary>
    /// Sends all <paramref name="items"/> on one association, one presentation context per (SOP class, transfer syntax),
    /// and returns one result per item in the same order. Items whose context the peer rejected are not sent; if the
    /// association breaks midway, the remaining items are reported as not sent.
    /// </summary>
    /// <exception cref="DicomAssociationRejectedException">The peer rejected the association.</exception>
    public async Task<IReadOnlyList<DicomStoreItemResult>> StoreAsync(
        string host,
        int port,
        string callingAeTitle,
        string calledAeTitle,
        IReadOnlyList<DicomStoreItem> items,
        DicomClientOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ValidateAeTitles(callingAeTitle, calledAeTitle);
        options ??= _options;
        var results = new DicomStoreItemResult?[items.Count];
        if (items.Count == 0)
        {
            return [];
        }

        // The data set is sent as it is; no transcoding, so each context proposes exactly the item's transfer syntax.
        var contextIds = new Dictionary<(string SopClass, string TransferSyntax), byte>();
        var proposals = new List<PresentationContextProposal>();
        foreach (var item in items)
        {
            var key = (item.SopClassUid, item.TransferSyntaxUid);
            if (!contextIds.ContainsKey(key) && proposals.Count < MaxPresentationContexts)
            {
                var id = (byte)((proposals.Count * 2) + 1);
                contextIds[key] = id;
                proposals.Add(new PresentationContextProposal(id, item.SopClassUid, [item.TransferSyntaxUid]));
            }
        }

        NetworkLog.ClientConnecting(_logger, host, port, callingAeTitle, calledAeTitle);
        await using var association = await ScuAssociation.OpenAsync(host, port, callingAeTitle, calledAeTitle, proposals, options, cancellationToken);
        NetworkLog.ClientAssociated(_logger, association.AcceptedCount, proposals.Count, association.PeerMaxPduLength);

        ushort messageId = 0;
        var index = 0;
        try
        {
            for (; index < items.Count; index++)
            {
                var item = items[index];
                if (!contextIds.TryGetValue((item.SopClassUid, item.TransferSyntaxUid), out var contextId) || !association.TryGetAccepted(contextId, out _))
                {
                    results[index] = new DicomStoreItemResult(item, DicomStoreOutcome.PresentationContextRejected, ErrorComment: "Not sent: presentation context rejected");
                    continue;
                }

                Stream dataSet;
                try
                {
                    dataSet = item.OpenDataset();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    NetworkLog.ClientItemUnreadable(_logger, ex);
                    results[index] = new DicomStoreItemResult(item, DicomStoreOutcome.NotSent, ErrorComment: "Not sent: data set could not be opened");
                    continue;
                }

                messageId = unchecked((ushort)(messageId + 1));
                await using (dataSet)
                {
                    await association.SendCommandAsync(contextId, new DimseCommand
                    {
                        CommandField = DimseCommandField.CStoreRequest,
                        AffectedSopClassUid = item.SopClassUid,
                        AffectedSopInstanceUid = item.SopInstanceUid,
                        MessageId = messageId,
                        Priority = 0,
                        HasDataSet = true,
                    }, cancellationToken);
                    await association.SendDataSetAsync(contextId, dataSet, cancellationToken);
                }

                var response = await association.ReceiveCommandAsync(cancellationToken);
                if (response.CommandField != DimseCommandField.CStoreResponse || response.MessageIdBeingRespondedTo != messageId || response.Status is null)
                {
                    throw new DicomNetworkException("The peer answered the C-STORE with an unexpected message.");
                }

                NetworkLog.ClientStoreCompleted(_logger, item.SopInstanceUid, response.Status.Value);
                results[index] = new DicomStoreItemResult(item, DicomStoreOutcome.Sent, response.Status, response.ErrorComment);
            }

            await association.ReleaseAsync(cancellationToken);
            NetworkLog.ClientReleased(_logger);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested &&
            ex is DicomNetworkException or IOException or SocketException or TimeoutException or UnauthorizedAccessException or InvalidDataException)
        {
            await association.AbortAsync();
            var remaining = results.Count(r => r is null);
            NetworkLog.ClientAssociationFailed(_logger, remaining, ex);
            for (var i = 0; i < results.Length; i++)
            {
                results[i] ??= new DicomStoreItemResult(items[i], DicomStoreOutcome.NotSent, ErrorComment: "Not sent: association ended: " + ex.Message);
            }
        }

        return results!;
    }

    private static void ValidateAeTitles(string callingAeTitle, string calledAeTitle)
    {
        foreach (var (title, name) in new[] { (callingAeTitle, nameof(callingAeTitle)), (calledAeTitle, nameof(calledAeTitle)) })
        {
            if (string.IsNullOrWhiteSpace(title) || title.Trim().Length > 16 || title.Any(c => c is < ' ' or > '~' or '\\'))
            {
                throw new ArgumentException("An AE title is 1-16 printable ASCII characters without backslash.", name);
            }
        }
    }
}
