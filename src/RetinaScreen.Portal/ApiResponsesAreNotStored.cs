using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace RetinaScreen.Portal;

/// <summary>
/// No answer under <c>/api</c> may be kept by a browser or a proxy: they carry patient data (studies, cases,
/// photographs, tiles) or tokens, and a reading-room workstation is shared. Set at the very start of the pipeline,
/// so that refusals (401, 403, 429) and errors carry it too, and last before the headers leave, so that no endpoint
/// can loosen it.
/// </summary>
internal sealed class ApiResponsesAreNotStored : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.OnStarting(static state =>
                {
                    var headers = ((HttpResponse)state).Headers;
                    headers.CacheControl = "no-store";
                    headers.Pragma = "no-cache";
                    return Task.CompletedTask;
                }, context.Response);
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
