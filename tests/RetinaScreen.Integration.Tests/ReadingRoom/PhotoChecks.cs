using Microsoft.Playwright;

namespace RetinaScreen.Integration.Tests.ReadingRoom;

/// <summary>What the case view must show before anyone can read it: the photographs really drawn, the heatmap really loaded.</summary>
internal static class PhotoChecks
{
    /// <summary>
    /// Each eye's OpenSeadragon viewer opened its photograph (the "Loading photograph…" line is removed only then; an
    /// error stays in its place) and has drawn it fully (OpenSeadragon's own registry, not a hook of ours).
    /// </summary>
    public static async Task ExpectPhotographsDrawnAsync(IPage page, params string[] eyes)
    {
        foreach (var eye in eyes)
        {
            var panel = page.Locator($"section.eye[aria-label='{eye}']");
            await Assertions.Expect(panel.Locator(".viewer-status")).ToHaveCountAsync(0, new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });
            await Assertions.Expect(panel.Locator(".viewer")).ToHaveAttributeAsync("data-loaded", "true");
            await page.WaitForFunctionAsync(
                """
                label => {
                  const element = document.querySelector(`section.eye[aria-label='${label}'] .viewer`);
                  const viewer = element && globalThis.OpenSeadragon?.getViewer(element);
                  const item = viewer?.world.getItemAt(0);
                  return Boolean(item && item.getFullyLoaded() && viewer.drawer?.canvas);
                }
                """,
                eye,
                new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });
        }
    }

    /// <summary>The model's heatmap overlay of each eye is shown and its PNG decoded (not a broken image).</summary>
    public static async Task ExpectHeatmapsShownAsync(IPage page, params string[] eyes)
    {
        foreach (var eye in eyes)
        {
            var overlay = page.Locator($"section.eye[aria-label='{eye}'] img.heatmap-overlay");
            await Assertions.Expect(overlay).ToBeVisibleAsync(new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });
            await page.WaitForFunctionAsync(
                "img => img.complete && img.naturalWidth > 0",
                await overlay.ElementHandleAsync(),
                new() { Timeout = ReadingRoomBrowser.Ms(ReadingRoomBrowser.Patience) });
        }
    }
}
