using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.DicomWeb;

/// <summary>
/// Streams the parts of a <c>multipart/related</c> body to temporary files, so that a slide never sits in memory.
/// Each part is bounded by its SOP class family's size limit (read from its file meta information as soon as that has
/// arrived; until then, and for a part without one, the photograph limit), the body by its own limit, and the disk by
/// the watermark, all while the bytes arrive. Nothing is ingested until the whole body has arrived: a body cut short
/// leaves no part behind (the caller deletes the spooled files).
/// </summary>
internal sealed class MultipartSpool : IDisposable
{
    private const int CopyBufferBytes = 128 * 1024;

    /// <summary>Group 0002 is a few hundred bytes; a part whose first this-many bytes name no SOP class stays a photograph.</summary>
    private const int MetaProbeBytes = 64 * 1024;

    private static readonly DicomReadOptions MetaOptions = new() { MaxElementCount = 1_000, MaxValueLength = 16 * 1024 };

    private readonly List<string> _files = [];

    public IReadOnlyList<string> Files => _files;

    /// <exception cref="StowRequestException">The body is malformed, cut short, too large, a part is not application/dicom, or the disk has no room.</exception>
    public async Task ReadAsync(Stream body, string boundary, string tempFolder, ObjectSizeLimits sizeLimits, long maxTotalBytes, DiskWatermark diskWatermark, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(tempFolder);
        var reader = new MultipartReader(boundary, body)
        {
            HeadersLengthLimit = 16 * 1024,
            // Enforced below while copying, with our own answer; the reader's own limit is only a backstop.
            BodyLengthLimit = null,
        };
        var total = 0L;
        var buffer = new byte[CopyBufferBytes];
        var head = new byte[MetaProbeBytes];
        using var room = diskWatermark.Reserve();
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (section.ContentType is { } partType && !IsApplicationDicom(partType))
                {
                    throw new StowRequestException(StatusCodesForStow.UnsupportedMediaType, "Every part must be application/dicom.");
                }

                var path = Path.Combine(tempFolder, $"stow-{Guid.NewGuid():N}.dcm");
                _files.Add(path);
                await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                var partBytes = 0L;
                var headBytes = 0;
                var family = (SopClassFamily?)null;
                int read;
                while ((read = await section.Body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    partBytes += read;
                    total += read;
                    if (family is null && headBytes < head.Length)
                    {
                        var copied = Math.Min(read, head.Length - headBytes);
                        buffer.AsSpan(0, copied).CopyTo(head.AsSpan(headBytes));
                        headBytes += copied;
                        family = FamilyFromMeta(head.AsSpan(0, headBytes), complete: headBytes == head.Length);
                    }

                    var maxPartBytes = sizeLimits.MaxBytes(family ?? SopClassFamily.Photograph);
                    if (partBytes > maxPartBytes || total > maxTotalBytes)
                    {
                        throw new StowRequestException(
                            StatusCodesForStow.PayloadTooLarge,
                            $"A {(family ?? SopClassFamily.Photograph).ToString().ToLowerInvariant()} part may hold at most {maxPartBytes} bytes and the body {maxTotalBytes}.");
                    }

                    if (!room.TryGrow(total))
                    {
                        throw new StowRequestException(StatusCodesForStow.ServiceUnavailable, "Storage is below its free-space watermark; retry later.");
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                // Durable before anything is answered, as a C-STORE arrival is.
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
        }
        catch (IOException ex)
        {
            // MultipartReader reports a body that ends before its closing boundary as an IOException, as does Kestrel
            // for a connection closed before Content-Length bytes.
            throw new StowRequestException(StatusCodesForStow.BadRequest, "The multipart body ended before its closing boundary.", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new StowRequestException(StatusCodesForStow.BadRequest, "The multipart body is malformed.", ex);
        }

        if (_files.Count == 0)
        {
            throw new StowRequestException(StatusCodesForStow.BadRequest, "The multipart body holds no part.");
        }
    }

    /// <summary>
    /// The family named by the part's file meta information, once enough of it has arrived; null while it may still
    /// arrive. A part that names none (not Part 10, or malformed) is a photograph: ingest refuses it anyway.
    /// </summary>
    private static SopClassFamily? FamilyFromMeta(ReadOnlySpan<byte> head, bool complete)
    {
        try
        {
            using var stream = new MemoryStream(head.ToArray(), writable: false);
            if (DicomFile.ReadMetaInformation(stream, MetaOptions) is not { } meta)
            {
                return head.Length >= 132 || complete ? SopClassFamily.Photograph : null;
            }

            return meta.MetaInformation.GetUid(DicomTag.MediaStorageSopClassUid) is { Length: > 0 } sopClassUid
                ? AcceptedSopClasses.FamilyOf(sopClassUid)
                : complete ? SopClassFamily.Photograph : null;
        }
        catch (Exception ex) when (ex is DicomFormatException or EndOfStreamException)
        {
            return complete ? SopClassFamily.Photograph : null;
        }
    }

    /// <summary>Deletes whatever is still spooled (ingest consumes the files it took).</summary>
    public void Dispose()
    {
        foreach (var file in _files)
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Swept at the next start by the listener's leftover cleanup.
            }
        }
    }

    internal static bool IsApplicationDicom(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("application/dicom", StringComparison.OrdinalIgnoreCase);
}

internal static class StatusCodesForStow
{
    public const int BadRequest = 400;
    public const int PayloadTooLarge = 413;
    public const int UnsupportedMediaType = 415;
    public const int ServiceUnavailable = 503;
}

internal sealed class StowRequestException(int statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;
}
