using System.Net;

namespace RetinaScreen.Ingest.Storage;

/// <summary>
/// One complete Part 10 file that arrived by any path (C-STORE, STOW-RS, the camera queue) and waits to be
/// validated, stored and recorded. The ingestor takes ownership of the file.
/// </summary>
public sealed record IngestRequest(
    string Part10FilePath,
    string Source,
    IPEndPoint? RemoteEndPoint,
    string? DeclaredSopClassUid = null,
    string? DeclaredSopInstanceUid = null);
