// RetinaScreen portal: sign-in, hash routing and the all-screenings table. Plain ES modules, no framework, no build step.
// Routes: #/screenings (default), #/worklist?queue=…&site=…, #/case/{studyInstanceUid}.
import {
  $, api, clearAuth, readAuth, storeAuth, SessionEnded, session, readableQueues, formatTime, GRADE_NAMES, el,
} from './api.js';
import { showQueue, leaveQueue } from './worklist.js';
import { showCase, leaveCase } from './case.js';
import { installKeys } from './keys.js';

const PAGE_SIZE = 50;

const STATUS_NAMES = {
  Received: 'Received',
  QualityChecked: 'Quality checked',
  Graded: 'Graded',
  AwaitingReview: 'Awaiting review',
  Reviewed: 'Reviewed',
  Adjudicated: 'Adjudicated',
  Reported: 'Reported',
};

const views = ['loading', 'login-view', 'password-view', 'worklist-view', 'queue-view', 'case-view'];
let page = 1;

export function show(view) {
  for (const id of views) $(id).hidden = id !== view;
  $('session').hidden = view === 'login-view' || view === 'loading';
  $('tabs').hidden = !(view === 'worklist-view' || view === 'queue-view');
  $('main').classList.toggle('wide', view === 'case-view');
  const heading = $(view)?.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · RetinaScreen`;
}

async function login(email, password) {
  const response = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.ok) {
    storeAuth(await response.json());
    return null;
  }
  // The server answers every failure alike (unknown account, wrong password, disabled account).
  if (response.status === 401) {
    return 'Email or password is incorrect.';
  }
  if (response.status === 429) {
    const seconds = Number(response.headers.get('Retry-After'));
    const wait = Number.isFinite(seconds) && seconds > 0 ? ` in ${Math.ceil(seconds / 60)} min` : ' later';
    return `Too many sign-in attempts from this workstation. Try again${wait}.`;
  }
  return `Sign-in failed (HTTP ${response.status}). Try again, or contact your administrator.`;
}

function showError(id, message) {
  const element = $(id);
  element.textContent = message ?? '';
  element.hidden = !message;
}

function gradeText(item) {
  if (item.worstGrade === null || item.worstGrade === undefined) return item.anyUngradable ? 'Ungradable' : '—';
  return GRADE_NAMES[item.worstGrade] ?? `Grade ${item.worstGrade}`;
}

function referableBadge(item) {
  const badge = document.createElement('span');
  badge.className = 'badge';
  if (item.referableDr === null && item.referableDme === null) {
    if (item.anyUngradable) {
      badge.textContent = 'Retake or refer';
      badge.classList.add('badge-warn');
    } else {
      badge.textContent = 'Pending';
      badge.classList.add('badge-pending');
    }
    return badge;
  }
  const reasons = [];
  if (item.referableDr) reasons.push('DR');
  if (item.referableDme) reasons.push('DME');
  if (reasons.length > 0) {
    badge.textContent = `Refer (${reasons.join(', ')})`;
    badge.classList.add('badge-refer');
  } else {
    badge.textContent = 'No';
    badge.classList.add('badge-clear');
  }
  return badge;
}

function cell(row, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content); else td.textContent = content;
  row.append(td);
}

async function loadScreenings() {
  const status = $('status-filter').value;
  const query = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  if (status) query.set('status', status);
  $('worklist-message').textContent = 'Loading…';
  const response = await api(`/api/screenings?${query}`);
  if (response.status === 403) {
    $('screenings-body').replaceChildren();
    $('worklist-message').textContent = 'Your account has no role that may read screenings. Ask an administrator.';
    return;
  }
  if (!response.ok) {
    $('worklist-message').textContent = `The worklist could not be loaded (HTTP ${response.status}).`;
    return;
  }
  const list = await response.json();
  const rows = list.items.map((item) => {
    const row = document.createElement('tr');
    row.dataset.studyInstanceUid = item.studyInstanceUid;
    cell(row, formatTime(item.receivedAt));
    cell(row, item.patientId);
    cell(row, item.failureReason ? `${STATUS_NAMES[item.status] ?? item.status}: ${item.failureReason}` : STATUS_NAMES[item.status] ?? item.status);
    cell(row, gradeText(item));
    cell(row, referableBadge(item));
    return row;
  });
  $('screenings-body').replaceChildren(...rows);
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  $('worklist-message').textContent = list.total === 0 ? 'No screenings.' : `${list.total} screening${list.total === 1 ? '' : 's'}, newest first.`;
  $('page-info').textContent = `Page ${list.page} of ${pages}`;
  $('previous-page').disabled = list.page <= 1;
  $('next-page').disabled = list.page >= pages;
}

// The tabs: one per queue the user's roles may read, and the all-screenings table.
function renderTabs(current) {
  const links = readableQueues().map((q) => el('a', {
    href: `#/worklist?queue=${encodeURIComponent(q.id)}`,
    'aria-current': current === q.id ? 'page' : null,
    text: q.name,
  }));
  links.push(el('a', { href: '#/screenings', 'aria-current': current === 'screenings' ? 'page' : null, text: 'All screenings' }));
  $('tabs').replaceChildren(...links);
}

function parseHash() {
  const hash = location.hash.replace(/^#/, '') || '/screenings';
  const [path, queryString = ''] = hash.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(queryString) };
}

let routing = Promise.resolve();

// Renders whatever the URL names; the browser's back button therefore walks the reader's steps.
export function route() {
  routing = routing.then(() => guarded(async () => {
    if (!session.me || session.me.mustChangePassword) return;
    const { parts, query } = parseHash();
    const [first, second] = parts;
    if (first !== 'case') leaveCase();
    if (first !== 'worklist') leaveQueue();
    if (first === 'case' && second) {
      show('case-view');
      await showCase(second);
    } else if (first === 'worklist') {
      const queue = query.get('queue') ?? readableQueues()[0]?.id ?? 'Primary';
      renderTabs(queue);
      show('queue-view');
      await showQueue(queue, query);
    } else {
      renderTabs('screenings');
      show('worklist-view');
      await loadScreenings();
    }
  })).catch((error) => console.warn(error));
  return routing;
}

async function enter() {
  const response = await api('/api/me');
  if (!response.ok) throw new SessionEnded();
  const me = await response.json();
  session.me = me;
  $('session-user').textContent = `${me.email} · ${me.roles.join(', ') || 'no role'}`;
  if (me.mustChangePassword) {
    show('password-view');
    $('current-password').focus();
    return;
  }
  await route();
}

function toLogin(notice) {
  leaveCase();
  leaveQueue();
  session.me = null;
  clearAuth();
  $('login-form').reset();
  showError('login-error', null);
  const element = $('login-notice');
  element.textContent = notice ?? '';
  element.hidden = !notice;
  show('login-view');
  $('login-email').focus();
}

// Runs an action; an ended session sends the user back to sign in.
export async function guarded(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof SessionEnded) toLogin('Your session has ended. Please sign in again.');
    else throw error;
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  if (!email || !password) {
    showError('login-error', 'Enter your email and password.');
    return;
  }
  const submit = $('login-submit');
  submit.disabled = true;
  try {
    const error = await login(email, password);
    if (error) {
      showError('login-error', error);
      $('login-password').select();
      return;
    }
    showError('login-error', null);
    $('login-notice').hidden = true;
    page = 1;
    await guarded(enter);
  } catch {
    showError('login-error', 'The server could not be reached. Check the connection and try again.');
  } finally {
    submit.disabled = false;
  }
});

$('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const currentPassword = $('current-password').value;
  const newPassword = $('new-password').value;
  if (newPassword !== $('confirm-password').value) {
    showError('password-error', 'The new passwords do not match.');
    return;
  }
  await guarded(async () => {
    const response = await api('/api/me/password', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ currentPassword, newPassword }),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      const messages = Object.values(problem.errors ?? {}).flat();
      showError('password-error', messages.join(' ') || `The password could not be changed (HTTP ${response.status}).`);
      return;
    }
    // A password change ends every session of the account, this one too: sign in again with the new password.
    const email = $('session-user').textContent.split(' · ')[0];
    $('password-form').reset();
    showError('password-error', null);
    const error = await login(email, newPassword);
    if (error) toLogin('Password changed. Please sign in with your new password.');
    else await enter();
  });
});

// Ends the session on the server (its access and refresh tokens), not only in this tab.
$('logout').addEventListener('click', async () => {
  // api() refreshes an expired access token first, so that the refresh token is ended as well.
  if (readAuth()) await api('/api/auth/logout', { method: 'POST' }).catch(() => {});
  toLogin('You have signed out.');
});
$('refresh').addEventListener('click', () => guarded(loadScreenings));
$('status-filter').addEventListener('change', () => { page = 1; guarded(loadScreenings); });
$('previous-page').addEventListener('click', () => { page = Math.max(1, page - 1); guarded(loadScreenings); });
$('next-page').addEventListener('click', () => { page += 1; guarded(loadScreenings); });
window.addEventListener('hashchange', route);
installKeys();

if (readAuth()) guarded(enter); else toLogin();
