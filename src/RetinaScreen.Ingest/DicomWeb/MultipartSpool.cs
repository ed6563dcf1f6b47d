using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace RetinaScreen.Ingest.DicomWeb;

/// <summary>
/// Streams the parts of a <c>multipart/related</c> body to temporary files, bounded per part and in total, so that a
/// slide never sits in memory. Nothing is ingested until the whole body has arrived: a body cut short leaves no
/// part behind (the caller deletes the spooled files).
/// </summary>
internal sealed class MultipartSpool : IDisposable
{
    private const int CopyBufferBytes = 128 * 1024;
    private readonly List<string> _files = [];

    public IReadOnlyList<string> Files => _files;

    /// <exception cref="StowRequestException">The body is malformed, cut short, too large, or a part is not application/dicom.</exception>
    public async Task ReadAsync(Stream body, string boundary, string tempFolder, long maxPartBytes, long maxTotalBytes, CancellationToken cancellationToken)
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
                int read;
                while ((read = await section.Body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    partBytes += read;
                    total += read;
                    if (partBytes > maxPartBytes || total > maxTotalBytes)
                    {
                        throw new StowRequestException(StatusCodesForStow.PayloadTooLarge, $"A part may hold at most {maxPartBytes} bytes and the body {maxTotalBytes}.");
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
}

internal sealed class StowRequestException(int statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;
}
