using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using RetinaScreen.Portal.Images;

namespace RetinaScreen.Portal.Slides;

/// <summary>Which users read which slide recently, so that a viewing session is audited once rather than per tile.</summary>
internal sealed class SlideAccessWindow(IOptions<ImagingOptions> options) : IDisposable
{
    private readonly MemoryCache _seen = new(new MemoryCacheOptions());
    private readonly TimeSpan _window = TimeSpan.FromMinutes(options.Value.TileAuditWindowMinutes);

    /// <summary>True for the first read of the slide by the user in the window (then the window starts).</summary>
    public bool IsFirstInWindow(string actor, string sopInstanceUid)
    {
        if (_window <= TimeSpan.Zero)
        {
            return true;
        }

        var key = (actor, sopInstanceUid);
        if (_seen.TryGetValue(key, out _))
        {
            return false;
        }

        _seen.Set(key, true, _window);
        return true;
    }

    public void Dispose() => _seen.Dispose();
}
