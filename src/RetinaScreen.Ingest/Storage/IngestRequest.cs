using System.Net;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// One complete Part 10 file that arrived by any path (C-STORE, STOW-RS, the camera queue) and waits to be
/// validated, stored and recorded. The ingestor takes ownership of the file.
/// </summary>
/// <param name="Source">The audit actor: "dicom:AE", "stow:device", "queue:device".</param>
/// <param name="Device">The registered device that sent it, when known (audit: source device).</param>
/// <param name="Destination">What received it (audit: destination): our AE title, the STOW-RS URL or the queue.</param>
/// <param name="Sha256">SHA-256 of the file as its receiver wrote it (lower-case hex), when the receiver computed it:
/// the store then names the object without reading it again.</param>
public sealed record IngestRequest(
    string Part10FilePath,
    string Source,
    IPEndPoint? RemoteEndPoint,
    string? DeclaredSopClassUid = null,
    string? DeclaredSopInstanceUid = null,
    string? Device = null,
    string? Destination = null,
    string? ExpectedStudyInstanceUid = null,
    string? Sha256 = null);
