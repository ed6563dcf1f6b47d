namespace RetinaScreen.Data.Devices;

/// <summary>
/// A registered sender (clinic camera, edge gateway, archive): who may associate over DIMSE (AE title and source
/// address) and who may post over STOW-RS or the camera queue (API token, of which only the SHA-256 is kept).
/// </summary>
public sealed class Device
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string? Site { get; set; }
    /// <summary>Calling AE title the device uses over DIMSE; null when it only uses HTTP or the queue.</summary>
    public string? AeTitle { get; set; }
    /// <summary>Address or CIDR block (IPv4 or IPv6) the device connects from; null allows any address.</summary>
    public string? AllowedAddress { get; set; }
    /// <summary>Lower-case hex SHA-256 of the API token; the token itself is shown once, at registration.</summary>
    public required string ApiTokenSha256 { get; set; }
    /// <summary>
    /// Lower-case hex SHA-256 of the DER client certificate the device presents over DICOM TLS; null when it does
    /// not authenticate by certificate.
    /// </summary>
    public string? CertificateThumbprint { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset RegisteredAt { get; set; }
}
