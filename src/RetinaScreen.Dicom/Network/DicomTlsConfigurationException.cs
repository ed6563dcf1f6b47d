namespace RetinaScreen.Dicom.Network;

/// <summary>
/// A DICOM TLS setting that cannot be used: an unreadable certificate, a wrong or missing password, a CRL that does not
/// verify. Thrown when the server starts, so that a misconfigured secure port fails the start instead of failing
/// every handshake later or leaving the port closed. The message names the setting and the file, never file contents.
/// </summary>
public sealed class DicomTlsConfigurationException : Exception
{
    public DicomTlsConfigurationException()
    {
        Setting = "";
        Detail = "";
    }

    public DicomTlsConfigurationException(string message)
        : base(message)
    {
        Setting = "";
        Detail = message;
    }

    public DicomTlsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Setting = "";
        Detail = message;
    }

    public DicomTlsConfigurationException(string setting, string detail, Exception? innerException = null)
        : base($"DICOM TLS setting {setting}: {detail}", innerException)
    {
        Setting = setting;
        Detail = detail;
    }

    /// <summary>The <see cref="DicomTlsOptions"/> property at fault, e.g. <c>CertificatePassword</c>.</summary>
    public string Setting { get; }

    /// <summary>What is wrong with it, without the setting's name.</summary>
    public string Detail { get; }
}
