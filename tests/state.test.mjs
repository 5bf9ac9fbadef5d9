// The playground's URL / attribute state (www/lib/state.js), in Node: no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, MAX_STEPS, allowedOrigins, checkSetting, embeddingOrigin, readState, stateToParams } from '../www/lib/state.js';

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
