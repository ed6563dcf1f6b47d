// The pathologist's slide view: the stored Deep Zoom tiles, the metastasis heatmap, the model's top regions, the form.
import { $, el, percent } from './api.js';
import { SlideViewer } from './viewer.js';

const SIZES = [
  { value: 'Macrometastasis', name: 'Macrometastasis' },
  { value: 'Micrometastasis', name: 'Micrometastasis' },
  { value: 'IsolatedTumourCells', name: 'Isolated tumour cells' },
];

let slideState = null; // { viewer, regions, index, announce }

export function leaveSlide() {
  slideState = null;
  $('regions').replaceChildren();
  $('slide-model-body').replaceChildren();
  $('slide-area').replaceChildren();
}

function goToRegion(index) {
  if (!slideState?.regions.length) return;
  const count = slideState.regions.length;
  slideState.index = ((index % count) + count) % count;
  const region = slideState.regions[slideState.index];
  slideState.viewer.goToRegion(region);
  const items = $('regions').querySelectorAll('button');
  items.forEach((b, i) => b.setAttribute('aria-current', i === slideState.index ? 'true' : 'false'));
  slideState.announce(`Region ${slideState.index + 1} of ${count}: ${percent(region.probability)}`);
}

function renderAnalysis(slide, modelIdentity) {
  const a = slide.analysis;
  const body = $('slide-model-body');
  if (!a) { body.replaceChildren(el('p', { className: 'muted', text: 'Model output hidden until you submit (blind-first read)' })); return; }
  if (a.status && a.status !== 'Completed') {
    body.replaceChildren(el('p', {}, el('span', { className: 'badge badge-warn', text: a.status }), ` ${a.failureReason ?? ''}`));
    return;
  }
  body.replaceChildren(
    el('p', {}, el('span', { className: `badge ${a.positive ? 'badge-refer' : 'badge-clear'}`, text: a.positive ? 'Metastasis (model positive)' : 'No metastasis (model negative)' })),
    el('dl', { className: 'kv' },
      el('dt', { text: 'Slide probability' }), el('dd', { text: percent(a.probability) }),
      el('dt', { text: 'Threshold' }), el('dd', { text: percent(a.threshold) })),
    modelIdentity(a.model));
}

function renderRegions(slide) {
  const regions = slide.analysis?.topRegions ?? [];
  $('regions').replaceChildren(...regions.map((r, i) => el('li', {},
    el('button', {
      type: 'button', className: 'region', 'aria-current': 'false',
      'aria-label': `Region ${i + 1}: ${percent(r.probability)} at ${r.x}, ${r.y}`,
      onclick: () => goToRegion(i),
    }, el('span', { className: 'region-p', text: percent(r.probability) }), el('span', { className: 'muted', text: ` at ${r.x}, ${r.y} (${r.width}×${r.height} px)` })))));
  $('regions-panel').hidden = regions.length === 0;
  return regions;
}

function renderForm() {
  const radio = (name, value, label, onchange) => el('label', { className: 'choice' },
    el('input', { type: 'radio', name, value, 'aria-label': label, onchange }), el('span', { text: label }));
  const sync = () => {
    const present = $('reading-form').querySelector('input[name="metastasis"]:checked')?.value === 'true';
    for (const r of $('reading-form').querySelectorAll('input[name="size-category"]')) {
      r.disabled = !present || $('submit-reading').disabled;
      if (!present) r.checked = false;
    }
  };
  $('reading-fields').replaceChildren(
    el('fieldset', { className: 'patient-form' }, el('legend', { text: 'Metastasis' }),
      radio('metastasis', 'true', 'Metastasis present', sync), radio('metastasis', 'false', 'Metastasis absent', sync)),
    el('fieldset', { className: 'patient-form' }, el('legend', { text: 'Size category' }),
      ...SIZES.map((s) => radio('size-category', s.value, s.name))),
    el('div', { className: 'field' }, el('label', { for: 'comment', text: 'Comment' }), el('textarea', { id: 'comment', rows: '3' })));
  slideState.sync = sync;
}

export function slideFormReady() { slideState?.sync?.(); }

export function slideReadingBody() {
  const form = $('reading-form');
  const metastasis = form.querySelector('input[name="metastasis"]:checked')?.value;
  const size = form.querySelector('input[name="size-category"]:checked')?.value ?? null;
  const errors = [];
  if (metastasis === undefined) errors.push('Choose whether metastasis is present.');
  if (metastasis === 'true' && !size) errors.push('Choose the size category.');
  if (errors.length) return { errors };
  return { body: { metastasis: metastasis === 'true', sizeCategory: metastasis === 'true' ? size : null, comment: $('comment').value.trim() || null } };
}

export async function renderSlide(state, data, { renderImageControls, modelIdentity, trackedBlob, announce }) {
  const slides = data.slides ?? [];
  const slide = slides[0];
  const area = $('slide-area');
  if (!slide) { area.replaceChildren(el('p', { className: 'muted', text: 'No slide in this study.' })); return; }
  const view = el('div', { className: 'viewer slide-viewer' });
  area.replaceChildren(el('div', { className: 'viewer-wrap' }, view));
  const viewer = new SlideViewer(view, slide, 'Slide');
  state.viewers = [viewer];
  slideState = { viewer, regions: [], index: -1, announce };
  renderAnalysis(slide, modelIdentity);
  slideState.regions = data.modelHidden ? [] : renderRegions(slide);
  if (data.modelHidden) $('regions-panel').hidden = true;
  renderImageControls({ heatmap: !data.modelHidden && Boolean(slide.heatmapUrl), photo: false });
  renderForm();
  try {
    await viewer.ready();
    if (!data.modelHidden && slide.heatmapUrl) {
      viewer.setHeatmap(await trackedBlob(slide.heatmapUrl));
      viewer.setHeatmapVisible(state.display.heatmap);
      viewer.setHeatmapOpacity(state.display.opacity);
    }
  } catch (error) {
    area.append(el('p', { className: 'viewer-status', text: error.message }));
  }
}

export function slideKeys() {
  const pick = (selector) => () => {
    const input = $('reading-form').querySelector(selector);
    if (!input || input.disabled) return;
    input.checked = true;
    input.dispatchEvent(new Event('change'));
    slideState?.announce(input.getAttribute('aria-label'));
  };
  return {
    y: pick('input[name="metastasis"][value="true"]'),
    x: pick('input[name="metastasis"][value="false"]'),
    1: pick('input[name="size-category"][value="Macrometastasis"]'),
    2: pick('input[name="size-category"][value="Micrometastasis"]'),
    3: pick('input[name="size-category"][value="IsolatedTumourCells"]'),
    ']': () => goToRegion((slideState?.index ?? -1) + 1),
    '[': () => goToRegion((slideState?.index ?? 0) - 1),
    h: () => { const box = $('ctl-heatmap'); if (box) { box.checked = !box.checked; box.dispatchEvent(new Event('change')); } },
  };
}
