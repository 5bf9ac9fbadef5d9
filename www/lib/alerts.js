// @ts-check
// The error alert of a playground view: the latest error (a failed action, a bad setting, a
// panel's problem) with a dismiss button. The page, <gpt-playground> and <gpt-panel> each show
// the errors that belong to them.
import { h } from '../panels/ui.js';

/** An alert element showing `pg`'s `error` events that `accept(detail)` keeps, until dismissed,
 *  a new run starts or a new model arrives. Listeners end with `signal`. `role` names the text
 *  (`data-role`) and, with `-box`, the alert; dismissing a playground's own error (not a
 *  panel's) also takes the playground out of its `error` status. */
/**
 * @param {EventTarget & {dismissError?: () => void}} pg
 * @param {{accept?: (detail: any) => boolean, signal?: AbortSignal, className?: string, role?: string, panel?: boolean}} [options]
 */
export function errorBox(pg, { accept = () => true, signal, className = 'gpt-error', role = 'error', panel = false } = {}) {
  const text = h('span', { dataset: { role }, role: 'alert' });
  const close = h('button', { class: 'close', dataset: { action: 'dismiss' }, 'aria-label': 'Dismiss the error' }, '×');
  const box = h('div', { class: className, dataset: { role: `${role}-box` }, hidden: true }, text, close);
  const hide = () => {
    box.hidden = true;
    text.textContent = '';
  };
  /** @param {Event} e */
  const detail = (e) => /** @type {CustomEvent} */ (e).detail;
  pg.addEventListener('error', (e) => {
    if (!accept(detail(e))) return;
    text.textContent = detail(e).message;
    box.hidden = false;
  }, { signal });
  pg.addEventListener('status', (e) => { if (detail(e).status === 'training') hide(); }, { signal });
  pg.addEventListener('model', (e) => { if (detail(e)) hide(); }, { signal });
  close.addEventListener('click', () => {
    hide();
    if (!panel) pg.dismissError?.();
  });
  return box;
}
