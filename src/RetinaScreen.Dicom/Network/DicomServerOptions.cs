namespace RetinaScreen.Dicom.Network;

/// <summary>
/// Association-level settings of the C-ECHO/C-STORE SCP, bindable from configuration
/// (<c>RetinaScreen:Dicom</c>). Empty lists mean "the built-in default", so a configuration source adding entries
/// replaces rather than extends the defaults.
/// </summary>
public sealed record DicomServerOptions
{
    /// <summary>Largest PDU length a peer may announce or we accept, so a misconfiguration cannot ask for gigabyte buffers.</summary>
    public const int MaxPduLengthCeiling = 16 * 1024 * 1024;

    /// <summary>TCP port; 0 picks an ephemeral port, reported by <see cref="DicomServer.BoundPort"/>.</summary>
    public int Port { get; set; } = 11112;

    /// <summary>Address to listen on; null or empty listens on all IPv4 addresses.</summary>
    public string? BindAddress { get; set; }

    /// <summary>Our AE title; associations addressed to another called AE title are rejected.</summary>
    public string AeTitle { get; set; } = "RETINASCREEN";

    /// <summary>Calling AE titles allowed to associate; empty allows any.</summary>
    public string[] AllowedCallingAeTitles { get; set; } = [];

    /// <summary>Abstract syntaxes (SOP classes) accepted besides Verification; empty accepts any that is proposed.</summary>
    public string[] AcceptedSopClassUids { get; set; } = [];

    /// <summary>Transfer syntaxes accepted, most preferred first; empty uses <see cref="DefaultTransferSyntaxUids"/>.</summary>
    public string[] PreferredTransferSyntaxUids { get; set; } = [];

    /// <summary>Associations established at once, from all peers together; more are rejected (transient, local limit exceeded).</summary>
    public int MaxConcurrentAssociations { get; set; } = 32;

    /// <summary>
    /// Associations established at once from one remote address, so that one peer cannot hold every slot; more are
    /// rejected (transient, local limit exceeded). A value above <see cref="MaxConcurrentAssociations"/> leaves only that limit.
    /// </summary>
    public int MaxAssociationsPerPeer { get; set; } = 8;

    /// <summary>Association request/reject/release timer (ARTIM, PS3.8 9.1.5): how long a new connection may take to send its A-ASSOCIATE-RQ.</summary>
    public TimeSpan ArtimTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an established association may stay silent before it is aborted.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Maximum P-DATA-TF length announced to peers; a received PDU longer than this aborts the association.
    /// At most <see cref="MaxPduLengthCeiling"/>.
    /// </summary>
    public int MaxPduLength { get; set; } = 64 * 1024;

    /// <summary>Folder for data sets being received; null or empty uses a "retinascreen-dicom" folder under the system temp path.</summary>
    public string? TempDirectory { get; set; }

    /// <summary>The DICOM TLS listener on its own port; off unless a certificate is configured.</summary>
    public DicomTlsOptions Tls { get; set; } = new();

    /// <summary>Flush the received Part 10 file to disk before the handler sees it, so a success can be durable.</summary>
    public bool FlushTempFileToDisk { get; set; } = true;

    public static IReadOnlyList<string> DefaultTransferSyntaxUids { get; } =
    [
        DicomUids.ExplicitVrLittleEndian,
        DicomUids.ImplicitVrLittleEndian,
        DicomUids.JpegBaseline,
        DicomUids.JpegExtended,
        DicomUids.JpegLossless,
        DicomUids.JpegLosslessSv1,
        DicomUids.JpegLsLossless,
        DicomUids.JpegLsNearLossless,
        DicomUids.Jpeg2000Lossless,
        DicomUids.Jpeg2000,
        DicomUids.RleLossless,
        DicomUids.DeflatedExplicitVrLittleEndian,
        DicomUids.ExplicitVrBigEndian,
    ];

    /// <summary>Where arriving objects and other ingest work files are written (the host sets it under the data path).</summary>
    public string ResolveTempDirectory() =>
        string.IsNullOrEmpty(TempDirectory) ? Path.Combine(Path.GetTempPath(), "retinascreen-dicom") : TempDirectory;

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0-65535.");
        }

        if (string.IsNullOrWhiteSpace(AeTitle) || AeTitle.Trim().Length > 16)
        {
            throw new ArgumentException("AE title must be 1-16 characters.", nameof(AeTitle));
        }

        if (MaxPduLength is < 1024 or > MaxPduLengthCeiling)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPduLength), MaxPduLength, $"Max PDU length must be 1024-{MaxPduLengthCeiling}.");
        }

        if (MaxConcurrentAssociations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentAssociations), MaxConcurrentAssociations, "At least one association must be allowed.");
        }

        if (MaxAssociationsPerPeer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAssociationsPerPeer), MaxAssociationsPerPeer, "At least one association per peer must be allowed.");
        }

        if (ArtimTimeout <= TimeSpan.Zero || IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("Timeouts must be positive.", nameof(ArtimTimeout));
        }

        Tls.Validate();
        if (Tls.IsEnabled && Tls.Port != 0 && Tls.Port == Port)
        {
            throw new ArgumentException("The TLS port must differ from the plain DICOM port.", nameof(Tls));
        }
    }
}
