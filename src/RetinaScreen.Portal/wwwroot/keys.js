// The reading room's key map (docs/reading-room.md). Handled once, on the document, in the capture phase; the view
// that is showing registers what each key does. Keys typed into a field are the field's, except Ctrl+Enter and Esc.
import { $ } from './api.js';

let handlers = null; // { key: () => void } of the view showing, or null

export function setKeyHandlers(map) { handlers = map; }

function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range'].includes(target.type);
  }
  return false;
}

function keyName(event) {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) return 'Ctrl+Enter';
  if (event.ctrlKey || event.altKey || event.metaKey) return null;
  return event.key;
}

/** Whether the key is one of ours in the view showing: viewers then leave it alone. */
export function isOurKey(event) {
  const name = keyName(event);
  return name === '?' || Boolean(name && handlers && handlers[name]);
}

export function openKeyMap() {
  const dialog = $('keys-dialog');
  if (!dialog.open) dialog.showModal();
  $('keys-close').focus();
}

function onKeyDown(event) {
  if (event.defaultPrevented) return;
  const dialog = $('keys-dialog');
  if (dialog.open) return; // the dialog closes itself on Esc
  const name = keyName(event);
  if (!name) return;
  const typing = isTyping(event.target);
  if (name === 'Escape') {
    // Esc leaves a field, so that the keys work again without the mouse.
    if (typing || event.target instanceof HTMLInputElement) { event.target.blur(); }
    return;
  }
  if (typing && name !== 'Ctrl+Enter') return;
  if (name === '?' && $('login-view').hidden) {
    event.preventDefault();
    openKeyMap();
    return;
  }
  const action = handlers?.[name];
  if (!action) return;
  event.preventDefault();
  action(event);
}

export function installKeys() {
  document.addEventListener('keydown', onKeyDown, true);
  $('show-keys').addEventListener('click', openKeyMap);
}
