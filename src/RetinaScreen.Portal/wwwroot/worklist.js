// The reading worklist: one queue, filtered by what the URL carries, in the order the API returns.
import {
  $, api, el, problemOf, showProblem, QUEUES, canClaim, formatTime, humaniseAge, GRADE_NAMES,
} from './api.js';
import { guarded } from './app.js';

const FILTERS = ['site', 'device', 'from', 'to', 'result', 'priority'];
const PAGE_SIZE = 50;
let current = { queue: 'Primary', query: new URLSearchParams() };

export function leaveQueue() { /* nothing held */ }

export function currentQueue() { return current.queue; }

function queueName(id) { return QUEUES.find((q) => q.id === id)?.name ?? id; }

function hashFor(queue, query) {
  const q = new URLSearchParams();
  q.set('queue', queue);
  for (const key of [...FILTERS, 'page']) {
    const value = query.get(key);
    if (value) q.set(key, value);
  }
  return `#/worklist?${q}`;
}

function modelResultCell(item) {
  if (item.blind && (item.modelResult === null || item.modelResult === undefined)) {
    return el('span', { className: 'badge badge-pending', text: 'blind' });
  }
  const result = item.modelResult ?? '—';
  const cls = { referable: 'badge-refer', positive: 'badge-refer', ungradable: 'badge-warn', negative: 'badge-clear' }[result] ?? 'badge-pending';
  const grade = item.worstGrade === null || item.worstGrade === undefined ? '' : ` · ${GRADE_NAMES[item.worstGrade] ?? item.worstGrade}`;
  const badge = el('span', { className: `badge ${cls}`, text: `${result}${grade}` });
  // A model that never answered says why, so the reader knows the case is not one the model judged.
  return item.failureReason ? el('span', {}, badge, el('span', { className: 'muted small failure-reason', text: ` ${item.failureReason}` })) : badge;
}

function claimText(claim) {
  if (!claim) return 'Unclaimed';
  const left = Math.max(0, Math.round((new Date(claim.leaseExpiresAt).getTime() - Date.now()) / 60000));
  return claim.mine ? `Yours (${left} min left)` : `Another reader (${left} min)`;
}

// Claims the case first (a reader must not read a case that someone else is reading), then opens it.
export async function openCase(item, queue) {
  const error = $('queue-error');
  showProblem(error, null);
  if (canClaim(item.queue ?? queue)) {
    const response = await api(`/api/cases/${encodeURIComponent(item.studyInstanceUid)}/claim`, { method: 'POST' });
    if (!response.ok) {
      showProblem(error, await problemOf(response));
      error.focus?.();
      return;
    }
  }
  location.hash = `#/case/${encodeURIComponent(item.studyInstanceUid)}`;
}

// POST /api/worklist/next: claims the next case of the queue; 204 when there is none.
export async function claimNext(queue, report) {
  const response = await api(`/api/worklist/next?queue=${encodeURIComponent(queue)}`, { method: 'POST' });
  if (response.status === 204) {
    report({ title: `The ${queueName(queue)} queue is empty.`, detail: 'There is no unclaimed case left for you to read.' });
    return false;
  }
  if (!response.ok) {
    report(await problemOf(response));
    return false;
  }
  const claim = await response.json();
  location.hash = `#/case/${encodeURIComponent(claim.studyInstanceUid)}`;
  return true;
}

export async function showQueue(queue, query) {
  current = { queue, query };
  $('queue-title').textContent = `${queueName(queue)} worklist`;
  document.title = `${queueName(queue)} worklist · RetinaScreen`;
  for (const key of FILTERS) $(`filter-${key}`).value = query.get(key) ?? '';
  $('start-reading').hidden = !canClaim(queue);
  showProblem($('queue-error'), null);

  const request = new URLSearchParams({ queue, page: query.get('page') ?? '1', pageSize: String(PAGE_SIZE) });
  for (const key of FILTERS) {
    const value = query.get(key);
    if (value) request.set(key, value);
  }
  $('queue-message').textContent = 'Loading…';
  const response = await api(`/api/worklist?${request}`);
  if (!response.ok) {
    $('worklist-body').replaceChildren();
    $('queue-message').textContent = '';
    showProblem($('queue-error'), await problemOf(response));
    return;
  }
  const list = await response.json();
  const rows = list.items.map((item) => {
    const open = () => guarded(() => openCase(item, queue));
    const row = el('tr', {
      tabindex: '0',
      className: 'clickable',
      dataset: { studyInstanceUid: item.studyInstanceUid },
      onclick: (event) => { if (!(event.target instanceof HTMLButtonElement)) open(); },
      onkeydown: (event) => { if (event.key === 'Enter' && event.target === event.currentTarget) { event.preventDefault(); open(); } },
    },
    el('td', { text: item.patientId }),
    el('td', { text: item.site ?? '—' }),
    el('td', { text: formatTime(item.receivedAt) }),
    el('td', { text: humaniseAge(item.ageSeconds) }),
    el('td', { className: 'num', text: item.priority ?? '—' }),
    el('td', {}, modelResultCell(item)),
    el('td', { text: claimText(item.claim) }),
    el('td', {}, el('button', {
      type: 'button', className: 'secondary small', 'aria-label': `Open case ${item.patientId}`, text: 'Open', onclick: open,
    })));
    return row;
  });
  $('worklist-body').replaceChildren(...rows);
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  $('queue-message').textContent = list.total === 0
    ? 'No cases waiting for you in this queue.'
    : `${list.total} case${list.total === 1 ? '' : 's'}, highest priority first, then oldest.`;
  $('queue-page-info').textContent = `Page ${list.page} of ${pages}`;
  $('queue-previous').disabled = list.page <= 1;
  $('queue-next').disabled = list.page >= pages;
  rows[0]?.focus({ preventScroll: true });
}

function filtersFromForm() {
  const query = new URLSearchParams();
  for (const key of FILTERS) {
    const value = $(`filter-${key}`).value.trim();
    if (value) query.set(key, value);
  }
  return query;
}

$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  location.hash = hashFor(current.queue, filtersFromForm());
});
for (const key of ['from', 'to', 'result']) {
  $(`filter-${key}`).addEventListener('change', () => { location.hash = hashFor(current.queue, filtersFromForm()); });
}
$('filters-clear').addEventListener('click', () => { location.hash = hashFor(current.queue, new URLSearchParams()); });
$('queue-refresh').addEventListener('click', () => guarded(() => showQueue(current.queue, current.query)));
$('start-reading').addEventListener('click', () => guarded(async () => {
  const button = $('start-reading');
  button.disabled = true;
  try { await claimNext(current.queue, (p) => showProblem($('queue-error'), p)); } finally { button.disabled = false; }
}));
function goPage(delta) {
  const query = new URLSearchParams(current.query);
  query.set('page', String(Math.max(1, Number(query.get('page') ?? '1') + delta)));
  location.hash = hashFor(current.queue, query);
}
$('queue-previous').addEventListener('click', () => goPage(-1));
$('queue-next').addEventListener('click', () => goPage(1));
