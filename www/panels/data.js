// @ts-check
// The Data card: which text the model learns from (a bundled corpus, or the reader's own, typed,
// pasted or uploaded), with its size.
import { CORPORA, readTextFile } from '../lib/corpora.js';
import { h, setState, uid } from './ui.js';

/** @param {HTMLElement} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  /** @type {import('./train.js').SetupPlayground} */
  const pg = ctx.playground;
  const pickId = uid('corpus');
  const pick = h('select', { id: pickId, name: 'corpus', dataset: { role: 'corpus' } },
    ...Object.entries(CORPORA).map(([key, c]) => h('option', { value: key }, c.label)));
  const text = h('textarea', { rows: '7', spellcheck: 'false', 'aria-label': 'Corpus text', dataset: { role: 'corpus-text' } });
  const upload = h('input', { type: 'file', accept: '.txt,text/plain', dataset: { role: 'upload' } });
  const stats = h('span', { class: 'hint', dataset: { role: 'corpus-stats' } });
  const picker = h('div', { class: 'data-picker' }, h('label', { for: pickId }, 'Corpus'), pick);
  const uploadLabel = h('label', { class: 'file' }, 'Upload a text file ', upload);
  picker.hidden = ctx.hide.has('corpus');
  uploadLabel.hidden = ctx.hide.has('corpus');
  root.append(picker, text, h('div', { class: 'row' }, uploadLabel, stats));

  function show() {
    const key = pg.settings.corpus;
    const own = key === 'own';
    pick.value = key;
    text.readOnly = !own;
    text.placeholder = own ? 'Paste or type the text to train on (a few thousand characters at least).' : '';
    if (text.value !== pg.text) text.value = pg.text;
    const lines = pg.text ? pg.text.split('\n').length : 0;
    const count = (/** @type {number} */ n, /** @type {string} */ word) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
    stats.textContent = `${count(pg.text.length, 'character')}, ${count(lines, 'line')}`;
  }

  pick.addEventListener('change', () => pg.set({ corpus: pick.value }).catch((err) => pg.reportError(/** @type {Error} */ (err).message)));
  text.addEventListener('input', () => pg.set({ text: text.value }));
  upload.addEventListener('change', async () => {
    const file = /** @type {FileList} */ (upload.files)[0]; // a file input's list is never null
    if (!file) return;
    try {
      await pg.set({ corpus: 'own', text: await readTextFile(file) });
      pg.dismissError();
    } catch (err) {
      pg.reportError(/** @type {Error} */ (err).message);
    }
    upload.value = '';
  });
  ctx.events.addEventListener('corpus', show);
  ctx.events.addEventListener('settings', show);
  show();
  setState(root, 'ready');
}
