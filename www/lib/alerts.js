// The error alert of a playground view: the latest error (a failed action, a bad setting, a
// panel's problem) with a dismiss button. The page, <gpt-playground> and <gpt-panel> each show
// the errors that belong to them.
import { h } from '../panels/ui.js';

/** An alert element showing `pg`'s `error` events that `accept(detail)` keeps, until dismissed,
 *  a new run starts or a new model arrives. Listeners end with `signal`. */
export function errorBox(pg, { accept = () => true, signal, className = 'gpt-error' } = {}) {
  const text = h('span', { dataset: { role: 'error' }, role: 'alert' });
  const close = h('button', { class: 'close', dataset: { action: 'dismiss' }, 'aria-label': 'Dismiss the error' }, '×');
  const box = h('div', { class: className, dataset: { role: 'error-box' }, hidden: true }, text, close);
  const hide = () => {
    box.hidden = true;
    text.textContent = '';
  };
  pg.addEventListener('error', (e) => {
    if (!accept(e.detail)) return;
    text.textContent = e.detail.message;
    box.hidden = false;
  }, { signal });
  pg.addEventListener('status', (e) => { if (e.detail.status === 'training') hide(); }, { signal });
  pg.addEventListener('model', (e) => { if (e.detail) hide(); }, { signal });
  close.addEventListener('click', () => {
    hide();
    pg.dismissError();
  });
  return box;
}
