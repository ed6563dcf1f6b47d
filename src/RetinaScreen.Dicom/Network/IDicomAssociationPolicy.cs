using System.Net;

namespace RetinaScreen.Dicom.Network;

/// <summary>The answer to one proposed presentation context.</summary>
public readonly record struct DicomPresentationContextDecision(DicomPresentationContextResult Result, string? TransferSyntaxUid)
{
    public static DicomPresentationContextDecision Accept(string transferSyntaxUid) => new(DicomPresentationContextResult.Acceptance, transferSyntaxUid);

    public static DicomPresentationContextDecision AbstractSyntaxNotSupported { get; } = new(DicomPresentationContextResult.AbstractSyntaxNotSupported, null);

    public static DicomPresentationContextDecision TransferSyntaxesNotSupported { get; } = new(DicomPresentationContextResult.TransferSyntaxesNotSupported, null);
}

/// <summary>
/// Decides who may associate and which presentation contexts are accepted. Verification is accepted by the server
/// itself and never reaches <see cref="NegotiatePresentationContext"/>.
/// </summary>
public interface IDicomAssociationPolicy
{
    /// <summary>False rejects the association: A-ASSOCIATE-RJ permanent, service user, calling AE title not recognized.</summary>
    bool IsCallingPeerAccepted(string callingAeTitle, IPEndPoint remoteEndPoint);

    /// <summary>
    /// As <see cref="IsCallingPeerAccepted(string, IPEndPoint)"/>, for a connection whose TLS handshake established
    /// <paramref name="security"/> (null for plain TCP); a policy that authenticates devices by certificate overrides it.
    /// </summary>
    bool IsCallingPeerAccepted(string callingAeTitle, IPEndPoint remoteEndPoint, DicomTransportSecurity? security) =>
        IsCallingPeerAccepted(callingAeTitle, remoteEndPoint);

    DicomPresentationContextDecision NegotiatePresentationContext(string abstractSyntaxUid, IReadOnlyList<string> proposedTransferSyntaxUids);
}

/// <summary>The policy that <see cref="DicomServerOptions"/> describes.</summary>
public sealed class DicomOptionsAssociationPolicy : IDicomAssociationPolicy
{
    private readonly HashSet<string> _callingAeTitles;
    private readonly HashSet<string> _sopClasses;
    private readonly IReadOnlyList<string> _transferSyntaxes;

    public DicomOptionsAssociationPolicy(DicomServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _callingAeTitles = new HashSet<string>(options.AllowedCallingAeTitles.Select(t => t.Trim()), StringComparer.Ordinal);
        _sopClasses = new HashSet<string>(options.AcceptedSopClassUids, StringComparer.Ordinal);
        _transferSyntaxes = options.PreferredTransferSyntaxUids.Length > 0
            ? options.PreferredTransferSyntaxUids
            : DicomServerOptions.DefaultTransferSyntaxUids;
    }

    public bool IsCallingPeerAccepted(string callingAeTitle, IPEndPoint remoteEndPoint) =>
        _callingAeTitles.Count == 0 || _callingAeTitles.Contains(callingAeTitle);

    public DicomPresentationContextDecision NegotiatePresentationContext(string abstractSyntaxUid, IReadOnlyList<string> proposedTransferSyntaxUids)
    {
        if (_sopClasses.Count > 0 && !_sopClasses.Contains(abstractSyntaxUid))
        {
            return DicomPresentationContextDecision.AbstractSyntaxNotSupported;
        }

        return SelectTransferSyntax(_transferSyntaxes, proposedTransferSyntaxUids);
    }

    /// <summary>Our preference order wins over the proposer's order.</summary>
    internal static DicomPresentationContextDecision SelectTransferSyntax(IReadOnlyList<string> preferred, IReadOnlyList<string> proposed)
    {
        foreach (var candidate in preferred)
        {
            foreach (var offered in proposed)
            {
                if (string.Equals(candidate, offered, StringComparison.Ordinal))
                {
                    return DicomPresentationContextDecision.Accept(candidate);
                }
            }
        }

        return DicomPresentationContextDecision.TransferSyntaxesNotSupported;
    }
}
