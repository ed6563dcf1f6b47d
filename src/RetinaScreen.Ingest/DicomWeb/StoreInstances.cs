using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Ingest.Associations;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.DicomWeb;

/// <summary>
/// STOW-RS (PS3.18 10.5): <c>POST /dicomweb/studies[/{study}]</c> with <c>multipart/related; type="application/dicom"</c>,
/// each part through the same <see cref="InstanceIngestor"/> as a C-STORE. Callers are devices holding an API token.
/// </summary>
public static partial class StoreInstances
{
    public const string DicomJson = "application/dicom+json";

    /// <summary>What a STOW-RS request needs from the container, bound by minimal APIs as one parameter.</summary>
    public sealed record Services(
        InstanceIngestor Ingestor,
        ObjectSizeLimits SizeLimits,
        DiskWatermark DiskWatermark,
        IOptions<IngestOptions> IngestOptions,
        IOptions<DicomServerOptions> DicomOptions,
        ILogger<InstanceIngestor> Logger);

    public static async Task<IResult> HandleAsync(HttpContext http, string? study, Services services)
    {
        var options = services.IngestOptions.Value;
        var ingestor = services.Ingestor;
        var logger = services.Logger;
        var cancellationToken = http.RequestAborted;
        if (!TryGetBoundary(http.Request.ContentType, out var boundary))
        {
            return Problem(http, StatusCodesForStow.UnsupportedMediaType, "The body must be multipart/related; type=\"application/dicom\" with a boundary.");
        }

        // Kestrel's default 30 MB request limit is far below a slide; the spool enforces our own bounds.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxStowBodyBytes + (1024 * 1024);
        }

        var device = http.User.FindFirstValue(ClaimTypes.Name) ?? "unknown";
        using var spool = new MultipartSpool();
        try
        {
            var tempFolder = services.DicomOptions.Value.ResolveTempDirectory();
            await spool.ReadAsync(http.Request.Body, boundary, tempFolder, services.SizeLimits, options.MaxStowBodyBytes, services.DiskWatermark, cancellationToken);
        }
        catch (StowRequestException ex)
        {
            LogRefused(logger, device, ex.StatusCode, ex.Message);
            // The rest of the body is not wanted: closing the connection spares reading it just to keep it alive.
            http.Response.Headers.Connection = "close";
            return Problem(http, ex.StatusCode, ex.Message);
        }

        var response = new StoreResponse();
        var remote = http.Connection.RemoteIpAddress is { } address ? new IPEndPoint(address, http.Connection.RemotePort) : null;
        foreach (var part in spool.Files)
        {
            // One parse per part: the ingestor reads the header, checks the study named in the URL, and reports the UIDs.
            var outcome = await ingestor.IngestAsync(
                new IngestRequest(part, $"stow:{device}", remote, Device: device, Destination: http.Request.Path.Value, ExpectedStudyInstanceUid: study),
                cancellationToken);
            if (outcome.Succeeded)
            {
                response.Stored(outcome.SopClassUid!, outcome.SopInstanceUid!);
            }
            else
            {
                response.Failed(outcome.SopClassUid, outcome.SopInstanceUid, CStoreHandler.ToDimseStatus(outcome).Status);
            }
        }

        LogAnswered(logger, device, response.StoredCount, response.FailedCount);
        return Results.Text(response.ToJson().ToJsonString(), DicomJson, statusCode: response.HttpStatus);
    }

    private static bool TryGetBoundary(string? contentType, out string boundary)
    {
        boundary = "";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.MediaType.Equals("multipart/related", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // PS3.18 8.6.1.1: the type parameter names the root part's media type; only Part 10 instances are accepted.
        var type = media.Parameters.FirstOrDefault(p => p.Name.Equals("type", StringComparison.OrdinalIgnoreCase));
        if (type is null || !HeaderUtilities.RemoveQuotes(type.Value).Equals("application/dicom", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        boundary = HeaderUtilities.RemoveQuotes(media.Boundary).ToString();
        return boundary.Length is > 0 and <= 70;
    }

    /// <summary>Refusals that pass with time (no room on disk) tell the sender when to retry.</summary>
    private static IResult Problem(HttpContext http, int status, string detail) => status == StatusCodesForStow.ServiceUnavailable
        ? StowAdmission.Refuse(http, status, detail)
        : Results.Problem(detail: detail, statusCode: status);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "STOW-RS request from device {Device} refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string device, int status, string reason);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "STOW-RS request from device {Device}: {Stored} stored, {Failed} failed")]
    private static partial void LogAnswered(ILogger logger, string device, int stored, int failed);
}
