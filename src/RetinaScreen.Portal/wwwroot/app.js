// RetinaScreen portal: sign-in and the screening worklist. Plain ES module, no framework, no build step.
const TOKEN_KEY = 'retinascreen.auth';
const PAGE_SIZE = 50;

const GRADE_NAMES = ['No DR', 'Mild NPDR', 'Moderate NPDR', 'Severe NPDR', 'PDR'];
const STATUS_NAMES = {
  Received: 'Received',
  QualityChecked: 'Quality checked',
  Graded: 'Graded',
  AwaitingReview: 'Awaiting review',
  Reviewed: 'Reviewed',
  Adjudicated: 'Adjudicated',
  Reported: 'Reported',
};

const $ = (id) => document.getElementById(id);
const views = ['loading', 'login-view', 'password-view', 'worklist-view'];
let page = 1;

function show(view) {
  for (const id of views) $(id).hidden = id !== view;
  $('session').hidden = view === 'login-view' || view === 'loading';
  const heading = $(view)?.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · RetinaScreen`;
}

function readAuth() {
  try { return JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null'); } catch { return null; }
}

function storeAuth(tokens) {
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  }));
}

function clearAuth() { sessionStorage.removeItem(TOKEN_KEY); }

class SessionEnded extends Error {}

async function refreshTokens(auth) {
  if (!auth?.refreshToken) return false;
  const response = await fetch('/api/auth/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refreshToken: auth.refreshToken }),
  });
  if (!response.ok) return false;
  storeAuth(await response.json());
  return true;
}

// Calls the API with the bearer token; an expired token is refreshed once, then the session ends.
async function api(path, options = {}, retry = true) {
  const auth = readAuth();
  if (!auth) throw new SessionEnded();
  const headers = { Accept: 'application/json', Authorization: `Bearer ${auth.accessToken}`, ...options.headers };
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    if (retry && await refreshTokens(auth)) return api(path, options, false);
    throw new SessionEnded();
  }
  return response;
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
  if (response.status === 401) {
    const problem = await response.json().catch(() => ({}));
    if (problem.detail === 'LockedOut') {
      return 'This account is locked after repeated failed sign-ins. Try again later or ask an administrator.';
    }
    return 'Email or password is incorrect.';
  }
  return `Sign-in failed (HTTP ${response.status}). Try again, or contact your administrator.`;
}

function showError(id, message) {
  const element = $(id);
  element.textContent = message ?? '';
  element.hidden = !message;
}

function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
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

async function loadWorklist() {
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
    cell(row, STATUS_NAMES[item.status] ?? item.status);
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

async function enter() {
  const response = await api('/api/me');
  if (!response.ok) throw new SessionEnded();
  const me = await response.json();
  $('session-user').textContent = `${me.email} · ${me.roles.join(', ') || 'no role'}`;
  if (me.mustChangePassword) {
    show('password-view');
    $('current-password').focus();
    return;
  }
  show('worklist-view');
  await loadWorklist();
}

function toLogin(notice) {
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
async function guarded(action) {
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
    // The token still carries the one-time mark: sign in again with the new password.
    const email = $('session-user').textContent.split(' · ')[0];
    $('password-form').reset();
    showError('password-error', null);
    const error = await login(email, newPassword);
    if (error) toLogin('Password changed. Please sign in with your new password.');
    else await enter();
  });
});

$('logout').addEventListener('click', () => toLogin('You have signed out.'));
$('refresh').addEventListener('click', () => guarded(loadWorklist));
$('status-filter').addEventListener('change', () => { page = 1; guarded(loadWorklist); });
$('previous-page').addEventListener('click', () => { page = Math.max(1, page - 1); guarded(loadWorklist); });
$('next-page').addEventListener('click', () => { page += 1; guarded(loadWorklist); });

if (readAuth()) guarded(enter); else toLogin();
