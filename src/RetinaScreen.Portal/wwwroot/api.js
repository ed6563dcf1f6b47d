// The portal's one way to call the API: bearer token from this tab's session storage, refreshed once on 401.
const TOKEN_KEY = 'retinascreen.auth';

export class SessionEnded extends Error {}

export function readAuth() {
  try { return JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null'); } catch { return null; }
}

export function storeAuth(tokens) {
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
  }));
}

export function clearAuth() { sessionStorage.removeItem(TOKEN_KEY); }

export function bearer() { return `Bearer ${readAuth()?.accessToken ?? ''}`; }

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
export async function api(path, options = {}, retry = true) {
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

export function postJson(path, body, method = 'POST') {
  return api(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

// An RFC 9457 problem as one readable sentence pair; a body that is not a problem still yields the status.
export async function problemOf(response) {
  const problem = await response.json().catch(() => ({}));
  const errors = Object.values(problem.errors ?? {}).flat();
  return {
    title: problem.title || `The request failed (HTTP ${response.status}).`,
    detail: [problem.detail, ...errors].filter(Boolean).join(' '),
    status: response.status,
  };
}

// Images need the bearer token, which must never travel in a URL: fetch them and hand the viewer a blob URL.
export async function blobUrl(path) {
  const response = await api(path, { headers: { Accept: 'image/*' } });
  if (!response.ok) throw new Error(`Image not available (HTTP ${response.status}).`);
  return URL.createObjectURL(await response.blob());
}

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function showMessage(element, message) {
  element.textContent = message ?? '';
  element.hidden = !message;
}

export function showProblem(element, problem) {
  element.replaceChildren();
  if (!problem) { element.hidden = true; return; }
  element.append(el('strong', { text: problem.title }));
  if (problem.detail) element.append(' ', el('span', { text: problem.detail }));
  element.hidden = false;
}

export const GRADE_NAMES = ['No DR', 'Mild NPDR', 'Moderate NPDR', 'Severe NPDR', 'PDR'];
export const QUEUES = [
  { id: 'Primary', name: 'Primary review', roles: ['Grader', 'Adjudicator', 'Admin'] },
  { id: 'SecondRead', name: 'Second read', roles: ['Grader', 'Adjudicator', 'Admin'] },
  { id: 'Adjudication', name: 'Adjudication', roles: ['Adjudicator', 'Admin'] },
  { id: 'Pathology', name: 'Pathology', roles: ['Pathologist', 'Admin'] },
];

// Who is signed in; set once by app.js after GET /api/me.
export const session = { me: null };

export function readableQueues() {
  const roles = session.me?.roles ?? [];
  return QUEUES.filter((q) => q.roles.some((r) => roles.includes(r)));
}

// Administrators read everything but claim nothing.
export function canClaim(queue) {
  const roles = session.me?.roles ?? [];
  return QUEUES.some((q) => q.id === queue && q.roles.some((r) => r !== 'Admin' && roles.includes(r)));
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// DICOM DA (YYYYMMDD) as YYYY-MM-DD; anything else as it came.
export function formatDicomDate(value) {
  if (!value) return '—';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : String(value);
}

// DICOM PN (FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX) as "FAMILY, Given Middle".
export function formatPersonName(value) {
  if (!value) return '—';
  const [family = '', given = '', middle = ''] = String(value).split('=')[0].split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return rest ? `${family}, ${rest}` : family;
}

export function humaniseAge(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return '< 1 min';
  const minutes = Math.floor(s / 60) % 60;
  const hours = Math.floor(s / 3600) % 24;
  const days = Math.floor(s / 86400);
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  return `${minutes} min`;
}

export function percent(p) {
  return p === null || p === undefined ? '—' : `${(p * 100).toFixed(1)} %`;
}
