using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace RetinaScreen.Portal.Shell;

/// <summary>
/// Serves the portal's pages from the resources embedded in this assembly (logical names <c>portal/…</c>), so that
/// any host that composes the portal serves them, with no wwwroot on disk and nothing from a CDN.
/// They are endpoints rather than static-file middleware so that they are the only anonymous content besides login.
/// </summary>
internal static class PortalShell
{
    private const string ResourcePrefix = "portal/";
    private const string IndexFile = "index.html";

    /// <summary>
    /// Only this origin, for everything: scripts, styles, fetches; no framing, no plugins. Images also from blob: and
    /// data: URLs: the page fetches photographs and tiles with the bearer token and hands the viewer the bytes as a
    /// blob: URL (an img element cannot send the token), and the viewer draws some of its own images as data: URLs.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<FrozenDictionary<string, ShellFile>> Files = new(LoadFiles);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, IndexFile))
            .AllowAnonymous().ExcludeFromDescription();
        // The catch-all also matches "/portal" and "/portal/" (empty path): the page itself.
        app.MapGet("/portal/{**path}", (HttpContext context, string? path) => Serve(context, string.IsNullOrEmpty(path) ? IndexFile : path))
            .AllowAnonymous().ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, string path)
    {
        if (!Files.Value.TryGetValue(path, out var file))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found");
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidate every time: a new release must not run against an old cached script.
        headers.CacheControl = "no-cache";
        headers.ETag = file.ETag;

        if (context.Request.Headers.IfNoneMatch.ToString() == file.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(file.Content, file.ContentType);
    }

    private static FrozenDictionary<string, ShellFile> LoadFiles()
    {
        var assembly = typeof(PortalShell).Assembly;
        var contentTypes = new FileExtensionContentTypeProvider();
        var files = new Dictionary<string, ShellFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            // MSBuild writes the recursive folder with the build machine's separator.
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            if (!contentTypes.TryGetContentType(path, out var contentType))
            {
                contentType = "application/octet-stream";
            }

            if (contentType.StartsWith("text/", StringComparison.Ordinal) || contentType.EndsWith("javascript", StringComparison.Ordinal))
            {
                contentType += "; charset=utf-8";
            }

            var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"").ToString();
            files[path] = new ShellFile(content, contentType, etag);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record ShellFile(byte[] Content, string ContentType, string ETag);
}
