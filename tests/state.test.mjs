// The playground's URL / attribute state (www/lib/state.js) and an embed's origin rules
// (www/lib/origins.js), in Node: no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTRIBUTES, DEFAULTS, MAX_STEPS, SCHEMA, SETTINGS, checkSetting, choicesOf, readState, stateEntries, stateToParams } from '../www/lib/state.js';
import { allowedOrigins, embeddingOrigin } from '../www/lib/origins.js';

const fromQuery = (q) => {
  const p = new URLSearchParams(q);
  return readState((k) => p.get(k));
};

test('a URL gives the state it names; bad values fall back to the defaults with a reason', () => {
  const { state, problems } = fromQuery('v=1&corpus=moby&preset=baby&tokenizer=bpe&steps=300&device=cpu&autotrain=1&panels=attention&chart_hide=1&train_hide=0');
  assert.deepEqual(problems, []);
  assert.deepEqual({ ...state }, { ...DEFAULTS, corpus: 'moby', preset: 'baby', tokenizer: 'bpe', steps: 300, device: 'cpu', autotrain: true, panels: 'attention', hide: ['chart'] });
  const bad = fromQuery('corpus=nope&preset=huge&steps=1e9&device=tpu&tokenizer=words&v=2');
  assert.deepEqual([bad.state.corpus, bad.state.preset, bad.state.steps, bad.state.device, bad.state.tokenizer], ['names', 'tiny', 1500, 'auto', 'char']);
  assert.equal(bad.problems.length, 6);
  assert.match(bad.problems[0], /unknown corpus "nope"; the corpora are "names", "moby", "sotu", "dialogue", "own"/);
  assert.match(bad.problems.join('\n'), /unknown preset "huge"; the presets are "tiny", "baby", "small" \(using "tiny"\)/);
  assert.match(bad.problems.join('\n'), /version 2/);
});

test('steps must be a whole number from 1 to the maximum', () => {
  for (const bad of ['0', '-5', '2.5', 'abc', '', String(MAX_STEPS + 1), '1e9']) {
    assert.throws(() => checkSetting('steps', bad), /training steps must be a whole number from 1 to 100,000/, bad);
  }
  assert.equal(checkSetting('steps', '1'), 1);
  assert.equal(checkSetting('steps', MAX_STEPS), MAX_STEPS);
});

test('stateToParams and readState round-trip, and the parameters carry the version', () => {
  const state = { ...DEFAULTS, corpus: 'sotu', steps: 42, device: 'webgpu', panels: 'mask,scale', hide: ['data', 'save'], autotrain: true };
  const params = stateToParams(state);
  assert.equal(params.get('v'), '1');
  assert.equal(params.get('preset'), null, 'defaults are left out');
  assert.deepEqual(readState((k) => params.get(k)).state, state);
});

test('an embed is driven by the listed origins, else by its embedding page only', () => {
  assert.deepEqual(allowedOrigins('https://a.example, https://b.example/', 'https://host', 'https://own'), ['https://a.example', 'https://b.example']);
  assert.deepEqual(allowedOrigins('*', 'https://host', 'https://own'), ['*']);
  assert.deepEqual(allowedOrigins(null, 'https://host', 'https://own'), ['https://host']);
  assert.deepEqual(allowedOrigins('  ', null, 'https://own'), ['https://own']);
});

test('the embedding page\'s origin comes from ancestorOrigins, else the referrer (browsers without ancestorOrigins)', () => {
  const host = 'https://host.example';
  assert.equal(embeddingOrigin({ framed: true, ancestorOrigins: [host], referrer: 'https://other.example/page' }), host);
  // Older Firefox has no location.ancestorOrigins: the referrer (the origin, by the default policy) tells.
  assert.equal(embeddingOrigin({ framed: true, ancestorOrigins: undefined, referrer: `${host}/` }), host);
  assert.equal(embeddingOrigin({ framed: true, ancestorOrigins: ['null'], referrer: `${host}/a/b?c` }), host);
  // Neither tells (a no-referrer policy): unknown, so only the embed's own origin may drive it.
  assert.equal(embeddingOrigin({ framed: true, ancestorOrigins: undefined, referrer: '' }), null);
  assert.deepEqual(allowedOrigins(null, embeddingOrigin({ framed: true, referrer: '' }), 'https://own'), ['https://own']);
  assert.equal(embeddingOrigin({ framed: false, ancestorOrigins: [host], referrer: host }), null);
});

/** A valid value of setting `s` other than its default (what a test can set and read back). */
function otherValue(s) {
  if (s.kind === 'flag') return true;
  if (s.kind === 'list') return 'attention,mask';
  if (s.kind === 'count') return s.default === 2 ? 3 : 2;
  return s.values.find((v) => v !== s.default);
}

test('every setting and view option round-trips through its URL / attribute name on its own', () => {
  assert.deepEqual(SETTINGS, ['corpus', 'preset', 'tokenizer', 'steps', 'device', 'workers']);
  assert.equal(new Set(ATTRIBUTES).size, ATTRIBUTES.length, 'one name per entry');
  for (const s of SCHEMA) {
    const value = otherValue(s);
    const state = s.name.endsWith('_hide') ? { hide: [s.name.replace(/_hide$/, '')] } : { [s.name]: value };
    const entries = stateEntries(state);
    assert.equal(entries.length, 1, s.name);
    assert.equal(entries[0][0], s.name);
    const params = stateToParams({ ...DEFAULTS, ...state });
    const { state: back, problems } = readState((k) => params.get(k));
    assert.deepEqual(problems, [], s.name);
    assert.deepEqual(back, { ...DEFAULTS, hide: [], ...state }, s.name);
  }
});

test('an invalid value of any choice or count names the valid ones, and falls back to the default', () => {
  for (const s of SCHEMA.filter((x) => x.kind === 'choice' || x.kind === 'count')) {
    assert.throws(() => checkSetting(s.name, 'nonsense'), (err) => {
      for (const v of s.values) assert.ok(err.message.includes(`"${v}"`), `${s.name}: ${err.message} names "${v}"`);
      if (s.kind === 'count') assert.match(err.message, new RegExp(`from ${s.min} to ${s.max.toLocaleString('en')}`));
      return err.message.includes('"nonsense"');
    }, s.name);
    const { state, problems } = readState((k) => (k === s.name ? 'nonsense' : null));
    assert.equal(state[s.name], s.default, s.name);
    assert.match(problems[0], new RegExp(`\\(using "${s.default}"\\)$`));
  }
  assert.throws(() => checkSetting('colour', 'red'), /unknown setting "colour"; the settings are corpus, preset, tokenizer, steps, device, workers/);
});

test('the model card offers exactly the valid presets, tokenizers and devices', () => {
  for (const name of ['preset', 'tokenizer', 'device']) {
    const values = choicesOf(name).map(([v]) => v);
    for (const v of values) assert.equal(checkSetting(name, v), v);
    assert.deepEqual(new Set(values), new Set(SCHEMA.find((s) => s.name === name).values));
  }
  for (const [v] of choicesOf('workers')) assert.doesNotThrow(() => checkSetting('workers', v));
});
