// The case view: patient header, lease, both eyes in deep zoom with the model's output, the reading form,
// the adjudicator's comparison and the priors. Slides are delegated to slide.js.
import {
  $, api, el, postJson, problemOf, showProblem, blobUrl, session, canClaim, formatTime, formatDicomDate,
  formatPersonName, GRADE_NAMES, QUEUES, percent,
} from './api.js';
import { guarded } from './app.js';
import { PhotoViewer } from './viewer.js';
import { setKeyHandlers, openKeyMap } from './keys.js';
import { claimNext } from './worklist.js';
import { renderSlide, slideKeys, leaveSlide, slideReadingBody, slideFormReady } from './slide.js';

const RENEW_MS = 5 * 60 * 1000;
const UNGRADABLE_REASONS = ['Media opacity', 'Poor focus', 'Poor illumination', 'Small pupil', 'Wrong field', 'Other'];
const REFERRALS = { Rescreen: 'Rescreen in 12 months', Refer: 'Refer', Retake: 'Retake' };
const EYES = [{ side: 'R', key: 'right', name: 'Right eye', code: 'OD' }, { side: 'L', key: 'left', name: 'Left eye', code: 'OS' }];

let state = null;

function fresh(uid) {
  return {
    uid, data: null, viewers: [], priorViewers: [], blobs: [], eye: 0, renewTimer: null, countdownTimer: null,
    submitting: false, submitted: false, openedAt: Date.now(), display: { heatmap: true, opacity: 0.5, redFree: false, brightness: 100, contrast: 100 },
  };
}

export function leaveCase() {
  if (!state) return;
  clearInterval(state.renewTimer);
  clearInterval(state.countdownTimer);
  for (const v of [...state.viewers, ...state.priorViewers]) v.destroy();
  for (const url of state.blobs) URL.revokeObjectURL(url);
  leaveSlide();
  setKeyHandlers(null);
  state = null;
}

function announce(text) { $('announce').textContent = text; }

function caseAlert(problem) { showProblem($('case-alert'), problem); }

function caseStatus(text) {
  const element = $('case-status');
  element.textContent = text ?? '';
  element.hidden = !text;
}

async function trackedBlob(path) {
  const url = await blobUrl(path);
  state?.blobs.push(url);
  return url;
}

function queueName(id) { return QUEUES.find((q) => q.id === id)?.name ?? id ?? '—'; }

// ---------- header and lease ----------

function renderHeader(data) {
  const p = data.patient ?? {};
  $('case-title').textContent = `${formatPersonName(p.name)} · ${p.patientId ?? ''}`;
  document.title = `Case ${p.patientId ?? ''} · RetinaScreen`;
  const facts = [
    ['Patient ID', p.patientId], ['Birth date', formatDicomDate(p.birthDate)], ['Sex', p.sex || '—'],
    ['Study date', formatDicomDate(data.studyDate)], ['Site', data.site], ['Device', data.device],
    ['Queue', queueName(data.queue)], ['Priority', data.priority], ['Received', formatTime(data.receivedAt)],
  ];
  // The case came to review because a model never answered for one of its images: say so beside its facts.
  if (data.failureReason) facts.push(['Not graded', data.failureReason]);
  $('case-facts').replaceChildren(...facts.flatMap(([k, v]) => [
    el('div', { className: 'fact' }, el('dt', { text: k }), el('dd', { text: v ?? '—' })),
  ]));
}

function mine() { return Boolean(state?.data?.claim?.mine); }

// The queue the reader is working: that of their own reading once they have submitted (the case itself may have moved
// on to a second read, to adjudication, or out of every queue when final), else the case's. "Next case" and "Back to
// worklist" stay in it: an adjudicator goes on adjudicating, a pathologist on reading slides.
function workingQueue(data = state?.data) {
  const own = (data?.readings ?? []).find((r) => r.readerName && r.readerName === session.me?.email);
  return own?.queue ?? data?.queue ?? 'Primary';
}

function updateActions() {
  const data = state.data;
  const claimable = canClaim(data.queue) && !state.submitted && !mine() && data.status !== 'Finalised';
  $('claim-case').hidden = !claimable || Boolean(data.final);
  $('release-case').hidden = !mine() || state.submitted;
  $('next-case').hidden = !(state.submitted || !mine()) || !canClaim(workingQueue(data));
  $('toggle-priors').hidden = !(data.priors?.length);
}

function startLease(claim) {
  clearInterval(state.renewTimer);
  clearInterval(state.countdownTimer);
  state.data.claim = { ...(state.data.claim ?? {}), mine: true, ...claim };
  const tick = () => {
    if (!state) return;
    const claim = state.data.claim;
    if (!claim?.mine || state.submitted) { $('lease').textContent = ''; return; }
    const left = Math.max(0, Math.floor((new Date(claim.leaseExpiresAt).getTime() - Date.now()) / 1000));
    const mm = Math.floor(left / 60);
    const ss = String(left % 60).padStart(2, '0');
    $('lease').textContent = left > 0 ? `Lease ${mm}:${ss}` : 'Lease expired';
    $('lease').classList.toggle('lease-low', left < 120);
  };
  tick();
  state.countdownTimer = setInterval(tick, 1000);
  state.renewTimer = setInterval(() => guarded(renewLease), RENEW_MS);
}

async function renewLease() {
  if (!state || state.submitted || !mine()) return;
  const uid = state.uid;
  const response = await api(`/api/cases/${encodeURIComponent(uid)}/claim`, { method: 'POST' });
  if (!state || state.uid !== uid) return;
  if (response.ok) {
    const claim = await response.json();
    state.data.claim = { ...state.data.claim, ...claim, mine: true };
    return;
  }
  const problem = await problemOf(response);
  clearInterval(state.renewTimer);
  state.data.claim = null;
  caseAlert({
    title: response.status === 409 ? 'Your claim on this case was lost.' : problem.title,
    detail: response.status === 409
      ? `Another reader took the case after your lease lapsed; your reading cannot be submitted. ${problem.detail}`.trim()
      : problem.detail,
  });
  $('lease').textContent = 'Lease lost';
  setFormEnabled(false);
  updateActions();
}

async function claimCase() {
  const response = await api(`/api/cases/${encodeURIComponent(state.uid)}/claim`, { method: 'POST' });
  if (!response.ok) { caseAlert(await problemOf(response)); return; }
  caseAlert(null);
  startLease(await response.json());
  setFormEnabled(true);
  updateActions();
}

async function releaseCase() {
  const uid = state.uid;
  const queue = state.data.queue;
  const response = await api(`/api/cases/${encodeURIComponent(uid)}/claim`, { method: 'DELETE' });
  if (!response.ok && response.status !== 404) { caseAlert(await problemOf(response)); return; }
  location.hash = `#/worklist?queue=${encodeURIComponent(queue ?? 'Primary')}`;
}

async function nextCase() {
  if (!state) return;
  if (mine() && !state.submitted) {
    caseAlert({ title: 'This case is still yours.', detail: 'Submit your reading or release the case before taking the next one.' });
    return;
  }
  const queue = workingQueue();
  await claimNext(queue, (problem) => caseAlert(problem));
}

// ---------- display controls (shared by both eyes) ----------

function slider(id, label, min, max, step, value, oninput) {
  return el('div', { className: 'control' },
    el('label', { for: id, text: label }),
    el('input', { id, type: 'range', min, max, step, value, oninput }));
}

function checkbox(id, label, checked, onchange) {
  const input = el('input', { id, type: 'checkbox', onchange });
  input.checked = checked;
  return el('div', { className: 'control check' }, input, el('label', { for: id, text: label }));
}

function applyDisplay() {
  const d = state.display;
  for (const v of state.viewers) {
    v.setHeatmapVisible(d.heatmap);
    v.setHeatmapOpacity(d.opacity);
    v.setFilters?.({ redFree: d.redFree, brightness: d.brightness, contrast: d.contrast });
  }
  const sync = (id, prop, value) => { const e = $(id); if (e) e[prop] = value; };
  sync('ctl-heatmap', 'checked', d.heatmap);
  sync('ctl-opacity', 'value', String(Math.round(d.opacity * 100)));
  sync('ctl-opacity', 'disabled', !d.heatmap);
  sync('ctl-redfree', 'checked', d.redFree);
  sync('ctl-brightness', 'value', String(d.brightness));
  sync('ctl-contrast', 'value', String(d.contrast));
}

export function renderImageControls({ heatmap, photo }) {
  const d = state.display;
  const controls = [];
  if (heatmap) {
    controls.push(checkbox('ctl-heatmap', 'Heatmap', d.heatmap, (e) => { d.heatmap = e.target.checked; applyDisplay(); }));
    controls.push(slider('ctl-opacity', 'Heatmap opacity', 0, 100, 5, Math.round(d.opacity * 100), (e) => { d.opacity = Number(e.target.value) / 100; applyDisplay(); }));
  }
  if (photo) {
    controls.push(checkbox('ctl-redfree', 'Red-free', d.redFree, (e) => { d.redFree = e.target.checked; applyDisplay(); }));
    controls.push(slider('ctl-brightness', 'Brightness', 50, 200, 5, d.brightness, (e) => { d.brightness = Number(e.target.value); applyDisplay(); }));
    controls.push(slider('ctl-contrast', 'Contrast', 50, 200, 5, d.contrast, (e) => { d.contrast = Number(e.target.value); applyDisplay(); }));
  }
  controls.push(el('div', { className: 'control buttons' },
    el('button', { type: 'button', className: 'secondary small', text: 'Zoom in', onclick: () => state.viewers.forEach((v) => v.zoomBy(1.5)) }),
    el('button', { type: 'button', className: 'secondary small', text: 'Zoom out', onclick: () => state.viewers.forEach((v) => v.zoomBy(1 / 1.5)) }),
    el('button', { type: 'button', className: 'secondary small', text: 'Reset view', onclick: () => state.viewers.forEach((v) => v.home()) })));
  $('image-controls').replaceChildren(...controls);
}

export function toggleHeatmap() { if (!$('ctl-heatmap')) return; state.display.heatmap = !state.display.heatmap; applyDisplay(); announce(`Heatmap ${state.display.heatmap ? 'on' : 'off'}`); }

function step(prop, delta) {
  const d = state.display;
  d[prop] = Math.min(200, Math.max(50, d[prop] + delta));
  applyDisplay();
  announce(`${prop === 'brightness' ? 'Brightness' : 'Contrast'} ${d[prop]} %`);
}

// ---------- the model panel ----------

function sha(model) {
  if (!model?.sha256) return el('span', { text: '—' });
  const code = el('code', { title: model.sha256, text: `${model.sha256.slice(0, 12)}…` });
  const copy = el('button', {
    type: 'button', className: 'link small', 'aria-label': `Copy SHA-256 ${model.sha256}`, text: 'Copy',
    onclick: () => navigator.clipboard?.writeText(model.sha256).catch(() => {}),
  });
  return el('span', {}, code, ' ', copy);
}

export function modelIdentity(model) {
  return el('dl', { className: 'kv' },
    el('dt', { text: 'Model' }), el('dd', { text: model ? `${model.name} ${model.version}` : '—' }),
    el('dt', { text: 'SHA-256' }), el('dd', {}, sha(model)));
}

function scoreRow(label, score, threshold, positive) {
  return [el('dt', { text: label }), el('dd', {},
    el('span', { className: `badge ${positive ? 'badge-refer' : 'badge-clear'}`, text: positive ? 'Yes' : 'No' }),
    ` ${percent(score)} (threshold ${percent(threshold)})`)];
}

function modelPanel(eye, image, hidden) {
  const section = el('section', { className: 'model-card', 'aria-label': `What the model said, ${eye.name.toLowerCase()}` },
    el('h3', { text: 'What the model said' }));
  if (hidden) {
    section.append(el('p', { className: 'muted', text: 'Model output hidden until you submit (blind-first read)' }));
    return section;
  }
  const m = image?.model;
  if (!m) { section.append(el('p', { className: 'muted', text: 'No model output for this eye.' })); return section; }
  if (!m.gradable) {
    section.append(el('p', {}, el('span', { className: 'badge badge-warn', text: 'Ungradable' }), ` ${m.ungradableReason ?? ''}`));
  } else {
    section.append(el('p', { className: 'grade-line' }, el('strong', { text: m.gradeName ?? GRADE_NAMES[m.grade] ?? '—' })));
    const bars = el('ul', { className: 'bars', 'aria-label': 'Grade probabilities' });
    (m.gradeProbabilities ?? []).forEach((p, i) => {
      const fill = el('span', { className: 'bar-fill' });
      fill.style.width = `${Math.round(p * 100)}%`;
      bars.append(el('li', { className: i === m.grade ? 'top' : null },
        el('span', { className: 'bar-label', text: `${i} ${GRADE_NAMES[i]}` }),
        el('span', { className: 'bar', 'aria-hidden': 'true' }, fill),
        el('span', { className: 'bar-value', text: percent(p) })));
    });
    section.append(bars);
  }
  section.append(el('dl', { className: 'kv' },
    ...scoreRow('Referable DR', m.referableDrScore, m.referableDrThreshold, m.referableDr),
    ...scoreRow('Referable DME', m.referableDmeScore, m.referableDmeThreshold, m.referableDme),
    el('dt', { text: 'Gradability' }), el('dd', { text: m.gradable ? 'Gradable' : `Ungradable: ${m.ungradableReason ?? 'no reason given'}` })));
  section.append(modelIdentity(m.model));
  return section;
}

// ---------- eyes ----------

function eyeImage(data, side) {
  return (data.eyes ?? []).find((e) => e.laterality === side)?.images?.[0] ?? null;
}

async function openPhoto(viewer, image, withHeatmap, status) {
  try {
    const url = await trackedBlob(image.imageUrl);
    await viewer.open(url);
    if (withHeatmap && image.model?.heatmapUrl && image.model?.heatmapBox) {
      viewer.setHeatmap(await trackedBlob(image.model.heatmapUrl), image.model.heatmapBox);
    }
    if (state) applyDisplay();
    status.remove();
  } catch (error) {
    status.textContent = error.message;
  }
}

function renderEyes(container, data, { prior = false } = {}) {
  const viewers = [];
  const panels = EYES.map((eye, index) => {
    const image = eyeImage(data, eye.side);
    const view = el('div', { className: 'viewer' });
    const status = el('p', { className: 'viewer-status', text: image ? 'Loading photograph…' : 'No photograph of this eye.' });
    const panel = el('section', {
      className: 'eye', 'aria-label': prior ? `Prior ${eye.name.toLowerCase()}` : eye.name, dataset: { eye: String(index) },
    },
    el('h2', { className: 'eye-title' }, `${prior ? 'Prior · ' : ''}${eye.name} `, el('span', { className: 'muted', text: `(${eye.code})` })),
    el('div', { className: 'viewer-wrap' }, view, status));
    if (!prior) panel.append(modelPanel(eye, image, data.modelHidden));
    if (image) {
      const viewer = new PhotoViewer(view, `${prior ? 'Prior ' : ''}${eye.name} photograph`);
      viewers.push(viewer);
      openPhoto(viewer, image, !data.modelHidden && !prior, status);
    }
    if (!prior) panel.addEventListener('click', () => setEye(index));
    return panel;
  });
  container.replaceChildren(...panels);
  return viewers;
}

function setEye(index) {
  if (!state) return;
  state.eye = (index + EYES.length) % EYES.length;
  for (const panel of $('eyes').querySelectorAll('.eye')) {
    const on = Number(panel.dataset.eye) === state.eye;
    panel.classList.toggle('current', on);
    panel.setAttribute('aria-current', on ? 'true' : 'false');
  }
  for (const fs of $('reading-fields').querySelectorAll('fieldset.eye-form')) {
    fs.classList.toggle('current', Number(fs.dataset.eye) === state.eye);
  }
  announce(`${EYES[state.eye].name} selected`);
}

// ---------- the reading form ----------

function eyeFieldset(eye, index) {
  const id = (s) => `${eye.key}-${s}`;
  const grades = el('div', { className: 'grades', role: 'radiogroup', 'aria-label': `${eye.name} ICDR grade` },
    ...GRADE_NAMES.map((name, grade) => el('label', { className: 'choice' },
      el('input', { type: 'radio', name: id('grade'), value: String(grade), 'aria-label': `${eye.name} ICDR ${grade} ${name}`, onchange: updateReferral }),
      el('span', { text: `${grade} ${name}` }))));
  const dme = el('label', { className: 'choice' },
    el('input', { type: 'checkbox', id: id('dme'), 'aria-label': `${eye.name} DME present`, onchange: updateReferral }),
    el('span', { text: 'DME present' }));
  const ungradable = el('label', { className: 'choice' },
    el('input', { type: 'checkbox', id: id('ungradable'), 'aria-label': `${eye.name} ungradable`, onchange: updateReferral }),
    el('span', { text: 'Ungradable' }));
  const reason = el('select', { id: id('reason'), 'aria-label': `${eye.name} ungradable reason`, onchange: updateReferral },
    el('option', { value: '', text: 'Reason…' }), ...UNGRADABLE_REASONS.map((r) => el('option', { value: r, text: r })));
  return el('fieldset', { className: 'eye-form', dataset: { eye: String(index) } },
    el('legend', { text: eye.name }), grades,
    el('div', { className: 'row' }, dme, ungradable, reason));
}

function eyeValue(eye) {
  const form = $('reading-form');
  const ungradable = form.querySelector(`#${eye.key}-ungradable`).checked;
  const checked = form.querySelector(`input[name="${eye.key}-grade"]:checked`);
  return {
    grade: ungradable ? null : (checked ? Number(checked.value) : null),
    dme: ungradable ? null : form.querySelector(`#${eye.key}-dme`).checked,
    ungradable,
    ungradableReason: ungradable ? (form.querySelector(`#${eye.key}-reason`).value || null) : null,
  };
}

// The rule in the contract: any ungradable eye → Retake; ICDR ≥ 2 or DME in either eye → Refer; else Rescreen.
export function computeReferral(right, left) {
  const eyes = [right, left];
  if (eyes.some((e) => e.ungradable)) return 'Retake';
  if (eyes.some((e) => (e.grade ?? 0) >= 2 || e.dme)) return 'Refer';
  return 'Rescreen';
}

function updateReferral() {
  if (!state || state.data.kind === 'Slide') return;
  const right = eyeValue(EYES[0]);
  const left = eyeValue(EYES[1]);
  for (const eye of EYES) {
    const v = eye.key === 'right' ? right : left;
    const reason = $(`${eye.key}-reason`);
    reason.disabled = !v.ungradable || !formEnabled();
    $(`${eye.key}-dme`).disabled = v.ungradable || !formEnabled();
    for (const r of $('reading-form').querySelectorAll(`input[name="${eye.key}-grade"]`)) r.disabled = v.ungradable || !formEnabled();
  }
  const complete = [right, left].every((v) => v.ungradable || v.grade !== null);
  const computed = computeReferral(right, left);
  $('computed-referral').textContent = complete ? REFERRALS[computed] : `${REFERRALS[computed]} (so far: grade both eyes)`;
  $('computed-referral').className = `badge ${{ Refer: 'badge-refer', Retake: 'badge-warn', Rescreen: 'badge-clear' }[computed]}`;
  const override = $('override').checked;
  $('override-fields').hidden = !override;
}

function formEnabled() { return Boolean(state && mine() && !state.submitted && !state.submitting); }

function setFormEnabled(enabled) {
  for (const control of $('reading-form').querySelectorAll('input, select, textarea, button')) control.disabled = !enabled;
  if (enabled) updateReferral();
}

function renderFundusForm() {
  const fields = $('reading-fields');
  fields.replaceChildren(
    ...EYES.map(eyeFieldset),
    el('fieldset', { className: 'patient-form' },
      el('legend', { text: 'Patient' }),
      el('p', { className: 'computed' }, 'Computed referral: ', el('output', { id: 'computed-referral', 'aria-live': 'polite' })),
      el('label', { className: 'choice' },
        el('input', { type: 'checkbox', id: 'override', onchange: () => { updateReferral(); if ($('override').checked) $('override-referral').focus(); } }),
        el('span', { text: 'Override referral' })),
      el('div', { id: 'override-fields', className: 'override', hidden: true },
        el('div', { className: 'field' },
          el('label', { for: 'override-referral', text: 'Referral' }),
          el('select', { id: 'override-referral' }, ...Object.entries(REFERRALS).map(([v, t]) => el('option', { value: v, text: t })))),
        el('div', { className: 'field' },
          el('label', { for: 'override-reason', text: 'Override reason' }),
          el('input', { id: 'override-reason', type: 'text', autocomplete: 'off' }))),
      el('div', { className: 'field' },
        el('label', { for: 'comment', text: 'Comment' }),
        el('textarea', { id: 'comment', rows: '2' }))));
  updateReferral();
}

function fundusBody() {
  const right = eyeValue(EYES[0]);
  const left = eyeValue(EYES[1]);
  const computed = computeReferral(right, left);
  const override = $('override').checked;
  const referral = override ? $('override-referral').value : computed;
  const errors = [];
  for (const [eye, v] of [[EYES[0], right], [EYES[1], left]]) {
    if (v.ungradable && !v.ungradableReason) errors.push(`${eye.name}: choose why it is ungradable.`);
    if (!v.ungradable && v.grade === null) errors.push(`${eye.name}: choose an ICDR grade.`);
  }
  const overrideReason = $('override-reason').value.trim();
  if (override && referral !== computed && !overrideReason) errors.push('Give the reason for overriding the referral.');
  if (errors.length) return { errors };
  return {
    body: {
      right, left, referral,
      overrideReason: override && referral !== computed ? overrideReason : null,
      comment: $('comment').value.trim() || null,
    },
  };
}

async function submitReading() {
  if (!state || state.submitting || state.submitted) return;
  const errorBox = $('reading-error');
  if (!mine()) { showProblem(errorBox, { title: 'You do not hold this case.', detail: 'Claim the case before you submit a reading.' }); return; }
  const built = state.data.kind === 'Slide' ? slideReadingBody() : fundusBody();
  if (built.errors) { showProblem(errorBox, { title: 'The reading is not complete.', detail: built.errors.join(' ') }); return; }
  state.submitting = true;
  setFormEnabled(false);
  showProblem(errorBox, null);
  const uid = state.uid;
  try {
    const response = await postJson(`/api/cases/${encodeURIComponent(uid)}/readings`, built.body);
    if (!state || state.uid !== uid) return;
    if (response.status !== 201 && !response.ok) {
      showProblem(errorBox, await problemOf(response));
      state.submitting = false;
      setFormEnabled(mine());
      errorBox.scrollIntoView({ block: 'nearest' });
      return;
    }
    const result = await response.json().catch(() => ({}));
    state.submitting = false;
    state.submitted = true;
    clearInterval(state.renewTimer);
    const where = result.status ? ` Case status: ${result.status}${result.queue ? `, queue: ${queueName(result.queue)}` : ''}.` : '';
    const confirmation = `Reading submitted.${where} Press n for the next case.`;
    // Reload: a blind-first case now reveals the model's output.
    await showCase(uid, { keepSubmitted: confirmation });
  } catch (error) {
    if (state) { state.submitting = false; setFormEnabled(mine()); }
    throw error;
  }
}

// ---------- adjudication ----------

function readingEye(reading, key) {
  const v = reading?.[key];
  if (!v) return { grade: '—', dme: '—', ungradable: '—' };
  return {
    grade: v.ungradable ? '—' : (v.grade === null || v.grade === undefined ? '—' : `${v.grade} ${GRADE_NAMES[v.grade]}`),
    dme: v.ungradable ? '—' : (v.dme ? 'Present' : 'Absent'),
    ungradable: v.ungradable ? `Yes: ${v.ungradableReason ?? ''}` : 'No',
  };
}

function renderComparison(data) {
  const section = $('comparison');
  const readings = (data.readings ?? []).filter((r) => r.kind !== 'Adjudication');
  if (data.queue !== 'Adjudication' || readings.length === 0 || data.kind === 'Slide') { section.hidden = true; return; }
  const tables = EYES.map((eye) => {
    const image = eyeImage(data, eye.side);
    const m = data.modelHidden ? null : image?.model;
    const modelCol = {
      grade: m ? (m.gradable ? `${m.grade} ${m.gradeName ?? GRADE_NAMES[m.grade]}` : '—') : '—',
      dme: m ? (m.referableDme ? 'Present' : 'Absent') : '—',
      ungradable: m ? (m.gradable ? 'No' : `Yes: ${m.ungradableReason ?? ''}`) : '—',
    };
    const cols = readings.map((r) => readingEye(r, eye.key));
    const rows = [
      ['ICDR grade', 'grade'], ['DME', 'dme'], ['Ungradable', 'ungradable'],
    ].map(([label, prop]) => {
      const values = cols.map((c) => c[prop]);
      const differs = new Set(values).size > 1;
      return el('tr', { className: differs ? 'differs' : null },
        el('th', { scope: 'row', text: label }),
        ...values.map((v) => el('td', { text: v })),
        el('td', { className: 'model-col', text: modelCol[prop] }),
        el('td', { className: 'diff-flag', text: differs ? 'Differs' : '' }));
    });
    return el('table', { className: 'compare', 'aria-label': `${eye.name} readings compared` },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: eye.name }),
        ...readings.map((r, i) => el('th', { scope: 'col', text: `Reader ${i + 1}: ${r.readerName ?? ''}` })),
        el('th', { scope: 'col', text: 'Model' }), el('th', { scope: 'col' }, el('span', { className: 'visually-hidden', text: 'Difference' })))),
      el('tbody', {}, ...rows));
  });
  const patientRows = [
    ['Referral', (r) => REFERRALS[r.referral] ?? r.referral ?? '—'],
    ['Override reason', (r) => r.overrideReason ?? '—'],
    ['Time on case', (r) => (r.secondsOnCase === null || r.secondsOnCase === undefined ? '—' : `${Math.round(r.secondsOnCase)} s`)],
    ['Submitted', (r) => formatTime(r.submittedAt)],
    ['Comment', (r) => r.comment ?? '—'],
  ].map(([label, f]) => {
    const values = readings.map(f);
    const differs = label === 'Referral' && new Set(values).size > 1;
    return el('tr', { className: differs ? 'differs' : null }, el('th', { scope: 'row', text: label }),
      ...values.map((v) => el('td', { className: label === 'Comment' ? 'wrap' : null, text: v })),
      el('td', { className: 'model-col', text: label === 'Referral' && data.summary ? (data.summary.anyUngradable ? 'Retake' : (data.summary.referableDr || data.summary.referableDme) ? 'Refer' : 'Rescreen') : '' }),
      el('td', { className: 'diff-flag', text: differs ? 'Differs' : '' }));
  });
  tables.push(el('table', { className: 'compare', 'aria-label': 'Patient readings compared' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Patient' }),
      ...readings.map((r, i) => el('th', { scope: 'col', text: `Reader ${i + 1}` })),
      el('th', { scope: 'col', text: 'Model' }), el('th', { scope: 'col' }, el('span', { className: 'visually-hidden', text: 'Difference' })))),
    el('tbody', {}, ...patientRows)));
  $('comparison-tables').replaceChildren(...tables.map((t) => el('div', { className: 'table-wrap' }, t)));
  section.hidden = false;
}

// ---------- priors ----------

function togglePriors() {
  const panel = $('priors-panel');
  if (!state?.data?.priors?.length) { announce('No prior screenings.'); return; }
  panel.hidden = !panel.hidden;
  $('toggle-priors').setAttribute('aria-expanded', String(!panel.hidden));
  if (!panel.hidden) {
    panel.querySelector('button')?.focus();
    panel.scrollIntoView({ block: 'nearest' });
  }
}

function renderPriors(data) {
  const list = (data.priors ?? []).map((prior) => el('li', {},
    el('span', { text: `${formatDicomDate(prior.studyDate)} · ${prior.status ?? ''} · worst grade ${prior.worstGrade === null || prior.worstGrade === undefined ? '—' : GRADE_NAMES[prior.worstGrade]} · ${REFERRALS[prior.referral] ?? prior.referral ?? '—'}` }),
    ' ',
    el('button', {
      type: 'button', className: 'secondary small', 'aria-label': `Open prior ${formatDicomDate(prior.studyDate)}`, text: 'Open side by side',
      onclick: () => guarded(() => openPrior(prior)),
    })));
  $('priors-list').replaceChildren(...list);
  $('prior-eyes').hidden = true;
  $('priors-panel').hidden = true;
  $('toggle-priors').setAttribute('aria-expanded', 'false');
}

// Read-only: GET only (itself an audited access); no claim.
async function openPrior(prior) {
  const uid = state.uid;
  const response = await api(`/api/cases/${encodeURIComponent(prior.studyInstanceUid)}`);
  if (!state || state.uid !== uid) return;
  if (!response.ok) { caseAlert(await problemOf(response)); return; }
  const data = await response.json();
  for (const v of state.priorViewers) v.destroy();
  state.priorViewers = renderEyes($('prior-eyes'), data, { prior: true });
  $('prior-eyes').hidden = false;
}

// ---------- the page ----------

function fundusKeys() {
  const grade = (g) => () => {
    if (!formEnabled()) return;
    const eye = EYES[state.eye];
    const radio = $('reading-form').querySelector(`input[name="${eye.key}-grade"][value="${g}"]`);
    if (radio && !radio.disabled) { radio.checked = true; updateReferral(); announce(`${eye.name}: ${g} ${GRADE_NAMES[g]}`); }
  };
  const toggleBox = (suffix, after) => () => {
    if (!formEnabled()) return;
    const box = $(`${EYES[state.eye].key}-${suffix}`);
    if (box.disabled) return;
    box.checked = !box.checked;
    updateReferral();
    after?.(box);
  };
  return {
    1: grade(0), 2: grade(1), 3: grade(2), 4: grade(3), 5: grade(4),
    m: toggleBox('dme', (b) => announce(`${EYES[state.eye].name}: DME ${b.checked ? 'present' : 'absent'}`)),
    u: toggleBox('ungradable', (b) => { if (b.checked) $(`${EYES[state.eye].key}-reason`).focus(); else announce(`${EYES[state.eye].name} gradable`); }),
    j: () => setEye(state.eye + 1),
    k: () => setEye(state.eye - 1),
    h: toggleHeatmap,
    g: () => { if (!$('ctl-redfree')) return; state.display.redFree = !state.display.redFree; applyDisplay(); announce(`Red-free ${state.display.redFree ? 'on' : 'off'}`); },
    b: () => step('brightness', -10), B: () => step('brightness', 10),
    c: () => step('contrast', -10), C: () => step('contrast', 10),
    o: () => { if (!formEnabled()) return; $('override').checked = true; updateReferral(); $('override-referral').focus(); },
    'Ctrl+Enter': () => guarded(submitReading),
    n: () => guarded(nextCase),
    p: togglePriors,
    '?': openKeyMap,
  };
}

export async function showCase(uid, { keepSubmitted = null } = {}) {
  leaveCase();
  state = fresh(uid);
  caseAlert(null);
  caseStatus(keepSubmitted);
  showProblem($('reading-error'), null);
  $('eyes').replaceChildren();
  $('image-controls').replaceChildren();
  $('case-facts').replaceChildren();
  $('case-title').textContent = 'Loading case…';
  $('lease').textContent = '';
  for (const id of ['claim-case', 'release-case', 'next-case']) $(id).hidden = true;
  const response = await api(`/api/cases/${encodeURIComponent(uid)}`);
  if (!state || state.uid !== uid) return;
  if (!response.ok) {
    $('case-title').textContent = 'Case not available';
    caseAlert(await problemOf(response));
    $('reading-form').hidden = true;
    return;
  }
  const data = await response.json();
  state.data = data;
  const myReading = (data.readings ?? []).some((r) => r.readerName && r.readerName === session.me?.email);
  state.submitted = Boolean(keepSubmitted) || (myReading && !mine());
  renderHeader(data);
  renderPriors(data);
  const slide = data.kind === 'Slide';
  $('eyes').hidden = slide;
  $('slide-area').hidden = !slide;
  $('slide-model').hidden = !slide;
  $('regions-panel').hidden = !slide;
  $('reading-form').hidden = !canClaim(data.queue) && !state.submitted;
  $('reading-title').textContent = workingQueue(data) === 'Adjudication' ? 'Your final reading (adjudication)' : 'Your reading';
  if (slide) {
    await renderSlide(state, data, { renderImageControls, modelIdentity, trackedBlob, announce });
    setKeyHandlers({ ...slideKeys(), 'Ctrl+Enter': () => guarded(submitReading), n: () => guarded(nextCase), '?': openKeyMap });
  } else {
    renderImageControls({ heatmap: !data.modelHidden, photo: true });
    state.viewers = renderEyes($('eyes'), data);
    renderFundusForm();
    renderComparison(data);
    setEye(0);
    setKeyHandlers(fundusKeys());
  }
  if (mine() && !state.submitted) startLease(data.claim);
  setFormEnabled(formEnabled());
  if (slide) slideFormReady(formEnabled());
  if (state.submitted) {
    $('submit-reading').textContent = 'Reading submitted';
    $('submit-reading').disabled = true;
  } else {
    $('submit-reading').textContent = 'Submit reading';
  }
  if (!mine() && !state.submitted && canClaim(data.queue)) {
    caseStatus(data.claim ? 'Another reader holds this case; it is shown read-only.' : 'You have not claimed this case; it is shown read-only.');
  }
  updateActions();
  if (keepSubmitted) $('next-case').focus(); else $('case-title').focus?.();
}

$('reading-form').addEventListener('submit', (event) => { event.preventDefault(); guarded(submitReading); });
$('claim-case').addEventListener('click', () => guarded(claimCase));
$('release-case').addEventListener('click', () => guarded(releaseCase));
$('next-case').addEventListener('click', () => guarded(nextCase));
$('toggle-priors').addEventListener('click', togglePriors);
$('back-to-worklist').addEventListener('click', () => {
  location.hash = `#/worklist?queue=${encodeURIComponent(workingQueue())}`;
});
