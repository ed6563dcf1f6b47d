// OpenSeadragon viewers for photographs and slides. The global OpenSeadragon comes from the vendored classic script.
import { bearer } from './api.js';
import { isOurKey } from './keys.js';

const OSD = () => globalThis.OpenSeadragon;

// OpenSeadragon injects a <style> element (a touch-only focus rule) unless one marked as its own exists; under this
// page's CSP that injection is refused with a console error. A marked element named "style" outside the HTML namespace
// (so no style sheet, nothing for the CSP to refuse) matches its check and stops it; portal.css has the rule.
if (!document.querySelector('style[data-openseadragon-mobile-css]')) {
  const marker = document.createElementNS('urn:x-retinascreen:marker', 'style');
  marker.setAttribute('data-openseadragon-mobile-css', 'true');
  document.head.append(marker);
}

function baseOptions(element) {
  return {
    element,
    showNavigationControl: false,
    showNavigator: false,
    visibilityRatio: 0.5,
    minZoomImageRatio: 0.8,
    maxZoomPixelRatio: 4,
    animationTime: 0.6,
    gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
    crossOriginPolicy: false,
    preserveImageSizeOnResize: true,
  };
}

// Marks the viewer's element data-loaded="true" once its image is fully drawn at the current view, so that people
// (a spinner could hang off it) and the browser tests can tell a drawn photograph from an empty frame.
function markWhenLoaded(viewer, element) {
  viewer.world.addHandler('add-item', (event) => {
    event.item.addHandler('fully-loaded-change', (change) => {
      if (change.fullyLoaded) element.dataset.loaded = 'true';
    });
  });
}

// Our shortcuts are handled on the document; OSD must not also act on them (it binds j/k to pages, for instance).
function keepOurKeys(viewer) {
  viewer.addHandler('canvas-key', (event) => {
    if (isOurKey(event.originalEvent)) event.preventDefaultAction = true;
  });
}

/**
 * A photograph in a viewer: the image as a client-side pyramid, the heatmap as an overlay <img> at heatmapBox so that
 * the display filters (red-free, brightness, contrast), which apply to the drawer's canvas only, leave it alone.
 */
export class PhotoViewer {
  constructor(element, label) {
    element.setAttribute('aria-label', label);
    this.viewer = OSD()({ ...baseOptions(element) });
    keepOurKeys(this.viewer);
    markWhenLoaded(this.viewer, element);
    this.heatmap = null;
    this.filters = { redFree: false, brightness: 100, contrast: 100 };
    this.viewer.canvas?.setAttribute('aria-label', `${label}: drag to pan, scroll to zoom`);
  }

  open(url) {
    return new Promise((resolve, reject) => {
      const onOpen = () => { this.viewer.removeHandler('open-failed', onFail); resolve(); };
      const onFail = (e) => { this.viewer.removeHandler('open', onOpen); reject(new Error(e.message || 'The image could not be opened.')); };
      this.viewer.addOnceHandler('open', onOpen);
      this.viewer.addOnceHandler('open-failed', onFail);
      this.viewer.open({ type: 'image', url, buildPyramid: true });
    });
  }

  // box is in photograph pixels; the world is one photograph wide, so the item converts for us.
  setHeatmap(url, box) {
    const item = this.viewer.world.getItemAt(0);
    if (!item) return;
    const img = document.createElement('img');
    img.src = url;
    img.alt = '';
    img.className = 'heatmap-overlay';
    img.draggable = false;
    const rect = item.imageToViewportRectangle(box.x, box.y, box.width, box.height);
    this.viewer.addOverlay({ element: img, location: rect });
    this.heatmap = img;
  }

  setHeatmapVisible(visible) { if (this.heatmap) this.heatmap.hidden = !visible; }

  setHeatmapOpacity(opacity) { if (this.heatmap) this.heatmap.style.opacity = String(opacity); }

  setFilters(filters) {
    Object.assign(this.filters, filters);
    const { redFree, brightness, contrast } = this.filters;
    const parts = [];
    if (redFree) parts.push('url(#red-free)');
    if (brightness !== 100) parts.push(`brightness(${brightness}%)`);
    if (contrast !== 100) parts.push(`contrast(${contrast}%)`);
    const canvas = this.viewer.drawer?.canvas;
    if (canvas) canvas.style.filter = parts.join(' ');
  }

  zoomBy(factor) { this.viewer.viewport.zoomBy(factor); this.viewer.viewport.applyConstraints(); }

  home() { this.viewer.viewport.goHome(); }

  destroy() {
    try { this.viewer.destroy(); } catch { /* already gone */ }
  }
}

/** A whole slide over the portal's Deep Zoom tiles, fetched with the bearer token in a header, never in the URL. */
export class SlideViewer {
  constructor(element, slide, label) {
    element.setAttribute('aria-label', label);
    this.slide = slide;
    this.viewer = OSD()({
      ...baseOptions(element),
      showNavigator: true,
      navigatorPosition: 'BOTTOM_RIGHT',
      loadTilesWithAjax: true,
      ajaxHeaders: { Authorization: bearer() },
      maxZoomPixelRatio: 2,
      tileSources: {
        width: slide.width,
        height: slide.height,
        tileSize: slide.tileSize,
        tileOverlap: 0,
        minLevel: 0,
        maxLevel: slide.maxLevel,
        getTileUrl: (level, x, y) => `${slide.tilesUrl}/${level}/${x}_${y}.jpg`,
      },
    });
    keepOurKeys(this.viewer);
    markWhenLoaded(this.viewer, element);
    this.heatmap = null;
    this.outline = null;
  }

  ready() {
    return new Promise((resolve, reject) => {
      if (this.viewer.world.getItemCount() > 0) { resolve(); return; }
      this.viewer.addOnceHandler('open', () => resolve());
      this.viewer.addOnceHandler('open-failed', (e) => reject(new Error(e.message || 'The slide could not be opened.')));
    });
  }

  setHeatmap(url) {
    const item = this.viewer.world.getItemAt(0);
    if (!item) return;
    const img = document.createElement('img');
    img.src = url;
    img.alt = '';
    img.className = 'heatmap-overlay';
    img.draggable = false;
    this.viewer.addOverlay({ element: img, location: item.imageToViewportRectangle(0, 0, this.slide.width, this.slide.height) });
    this.heatmap = img;
  }

  setHeatmapVisible(visible) { if (this.heatmap) this.heatmap.hidden = !visible; }

  setHeatmapOpacity(opacity) { if (this.heatmap) this.heatmap.style.opacity = String(opacity); }

  // Flies to a region (slide pixels) with some context around it, and outlines it.
  goToRegion(region) {
    const item = this.viewer.world.getItemAt(0);
    if (!item) return;
    const rect = item.imageToViewportRectangle(region.x, region.y, region.width, region.height);
    const margin = Math.max(rect.width, rect.height) * 3;
    const O = OSD();
    this.viewer.viewport.fitBounds(new O.Rect(rect.x - margin, rect.y - margin, rect.width + 2 * margin, rect.height + 2 * margin));
    if (this.outline) this.viewer.removeOverlay(this.outline);
    const outline = document.createElement('div');
    outline.className = 'region-outline';
    this.viewer.addOverlay({ element: outline, location: rect });
    this.outline = outline;
  }

  zoomBy(factor) { this.viewer.viewport.zoomBy(factor); this.viewer.viewport.applyConstraints(); }

  home() { this.viewer.viewport.goHome(); }

  destroy() {
    try { this.viewer.destroy(); } catch { /* already gone */ }
  }
}
