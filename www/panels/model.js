// @ts-check
// The Model card: the preset (size), the tokenizer and the device, and what was built from them.
import { h, setState } from './ui.js';
import { choicesOf } from '../lib/state.js';

/** One line about a model: its shape, size, vocabulary, data and device.
 *  @param {import('../types/playground.js').SessionInfo} info @returns {string} */
export function describeModel(info) {
  const c = info.config;
  return `${info.preset}: ${c.n_layer} layers · ${c.n_head} heads · ${c.n_embd} wide · context ${c.block_size} · `
    + `${info.paramCount.toLocaleString()} parameters · vocabulary ${info.vocabSize} (${info.tokenizer === 'char' ? 'characters' : 'BPE'}) · `
    + `${(info.trainTokens ?? 0).toLocaleString()} training tokens · on ${info.device === 'webgpu' ? 'WebGPU' : 'the CPU'}`;
}

/** @param {HTMLElement} root @param {import('../lib/mount.js').PanelContext} ctx */
export function mount(root, ctx) {
  /** @type {import('./train.js').SetupPlayground} */
  const pg = ctx.playground;
  /** @param {string} role @param {readonly (readonly [string, string])[]} options */
  const select = (role, options) => h('select', { name: role, dataset: { role } }, ...options.map(([value, label]) => h('option', { value }, label)));
  // The choices are the settings schema's (lib/state.js).
  const preset = select('preset', choicesOf('preset'));
  const tokenizer = select('tokenizer', choicesOf('tokenizer'));
  const device = select('device', choicesOf('device'));
  // Data-parallel training on the CPU: one worker per core but one (for the page) by default.
  const workers = select('workers', choicesOf('workers'));
  const info = h('p', { class: 'hint', dataset: { role: 'model-info' } }, 'The model is built when you press Train.');
  /** @param {string} label @param {HTMLElement} input @param {string} part */
  const field = (label, input, part) => h('label', { hidden: ctx.hide.has(part) }, label, input);
  root.append(h('div', { class: 'grid2' }, field('Preset', preset, 'preset'), field('Tokenizer', tokenizer, 'tokenizer'), field('Device', device, 'device'),
    field('Workers (CPU)', workers, 'workers')), info);

  function showSettings() {
    const s = pg.settings;
    preset.value = s.preset;
    tokenizer.value = s.tokenizer;
    const gpu = pg.device.webgpu;
    const option = /** @type {HTMLOptionElement} */ (device.querySelector('option[value=webgpu]')); // one of the device choices
    option.disabled = !gpu.available;
    option.textContent = gpu.available ? 'WebGPU' : 'WebGPU (not available here)';
    device.value = s.device === 'webgpu' && !gpu.available ? 'auto' : s.device;
    workers.value = String(s.workers);
  }

  /** @param {string} [note] */
  function showModel(note = '') {
    const i = pg.info;
    if (pg.building) info.textContent = 'Building the tokenizer and the model…';
    else if (!i) info.textContent = note ? 'No model yet.' : 'The model is built when you press Train.';
    else {
      const o = pg.origin;
      const origin = o?.kind === 'loaded' ? ` (loaded from ${o.file})`
        : o?.kind === 'resumed' ? ` (resumed at step ${o.step}, as saved in this browser)`
          : o?.kind === 'restored' ? ` (restored from its snapshot at step ${o.step})` : '';
      const frozen = i.trainable === false ? `. It can generate but not train: ${i.untrainable}.` : '';
      info.textContent = `${describeModel(i)}${origin}${frozen}${note}`;
    }
  }

  /** @param {string} key @param {HTMLSelectElement} input */
  const change = (key, input) => input.addEventListener('change', () => pg.set({ [key]: input.value }).catch((err) => pg.reportError(/** @type {Error} */ (err).message)));
  change('preset', preset);
  change('tokenizer', tokenizer);
  change('device', device);
  change('workers', workers);
  ctx.events.addEventListener('settings', showSettings);
  ctx.events.addEventListener('device', showSettings);
  ctx.events.addEventListener('building', () => showModel());
  ctx.events.addEventListener('model', () => showModel());
  ctx.events.addEventListener('error', (e) => {
    if (/** @type {import('../types/playground.js').PlaygroundEventMap['error']} */ (e).detail.action === 'build') showModel(pg.info ? ' (the previous model is kept)' : '.');
  });
  showSettings();
  showModel();
  setState(root, 'ready');
}
