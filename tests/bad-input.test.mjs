// The bad-input matrix: URL parameters, generation settings, corpora and model files a reader
// can get wrong, each with the exact message the reader sees; afterwards the page still works
// (the trained model still generates) and nothing reaches the console as a panic.
import { describe, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedBrowser, errorText, train } from './browser.mjs';

const shared = sharedBrowser();
const { harness } = shared;

const PANIC = /panicked|unreachable|RuntimeError|recursive use/i;
const consoleOf = (page) => page.consoleErrors.filter((m) => PANIC.test(m));
const panelError = (page, name) => page.locator(`[data-panel=${name}] [data-role=panel-error]`).textContent();

// ---------- URL parameters ----------
const STEPS = (raw) => `training steps must be a whole number from 1 to 100,000, not "${raw}" (using "1500")`;
const URLS = [
  ['steps=0', STEPS('0')],
  ['steps=-5', STEPS('-5')],
  ['steps=1e9', STEPS('1e9')],
  ['steps=abc', STEPS('abc')],
  ['preset=huge', 'unknown preset "huge"; the presets are "tiny", "baby", "small" (using "tiny")'],
  ['corpus=nope', 'unknown corpus "nope"; the corpora are "names", "moby", "sotu", "dialogue", "own" (using "names")'],
  ['device=tpu', 'unknown device "tpu"; the devices are "auto", "cpu", "webgpu" (using "auto")'],
  ['tokenizer=words', 'unknown tokenizer "words"; the tokenizers are "char", "bpe" (using "char")'],
  ['panels=atention', 'Unknown panel "atention" in the URL; the panels are: tokenizer, embedding, attention, mask, residual, finetune, generation, scale.'],
  ['workers=0', 'workers must be "auto" or a whole number from 1 to 16, not "0" (using "auto")'],
  // Not errors: an empty list means every panel; a parameter this version does not have is ignored.
  ['panels=', null],
  ['gpus=2', null],
];

describe('URL parameters', () => {
  for (const [query, message] of URLS) {
    test(`?${query}: ${message ?? 'no error'}`, async () => {
      const extra = ['corpus', 'device'].filter((k) => !query.startsWith(k)).map((k) => `&${k}=${k === 'corpus' ? 'names' : 'cpu'}`).join('');
      const page = await harness.open(shared.context, `?${query}${extra}`);
      await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 30_000 });
      if (message) assert.equal(await errorText(page), message);
      else assert.ok(await page.locator('[data-role=error-box]').isHidden(), `no error: ${await errorText(page)}`);
      assert.ok(await page.locator('[data-action=train]').isEnabled(), 'the page is usable');
      if (query === 'steps=abc') {
        const s = await train(page, 15);
        assert.equal(s.step, '15', 'and trains');
      }
      assert.deepEqual(consoleOf(page), []);
      await page.close();
    });
  }
});

// ---------- settings, corpora and files, on one trained page ----------
describe('settings, corpora and model files on a trained page', () => {
  let page;
  before(async () => {
    page = await harness.open(shared.context, '?panels=data,model,generation&corpus=names&preset=tiny&device=cpu');
    const s = await train(page, 40);
    assert.equal(s.step, '40');
  });

  /** Generates with the given settings; resolves to the panel's error or null and the text. */
  async function generateWith(fields) {
    await page.evaluate(() => {
      document.querySelector('[data-panel=generation]').panelData.tokens = [];
    });
    for (const [role, value] of Object.entries({ 'max-tokens': '12', temperature: '0.8', 'top-k': '0', 'top-p': '1', seed: '1', ...fields })) {
      await page.locator(`[data-panel=generation] [data-role=${role}]`).fill(value);
    }
    // Moving a slider redraws the bars with every setting, so a bad value from the row before
    // may have been reported already: start each row from a clean panel.
    const stale = page.locator('[data-panel=generation] [data-role=panel-error-box]');
    if (await stale.isVisible()) await stale.locator('[data-action=dismiss]').click();
    await page.click('[data-action=generate]');
    await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled
      && (document.querySelector('[data-panel=generation]').panelData.tokens.length > 0
        || !document.querySelector('[data-panel=generation] [data-role=panel-error-box]').hidden), null, { timeout: 60_000 });
    await page.waitForFunction(() => !document.querySelector('[data-action=generate]').disabled);
    const box = page.locator('[data-panel=generation] [data-role=panel-error-box]');
    const error = (await box.isVisible()) ? await panelError(page, 'generation') : null;
    const tokens = await page.evaluate(() => document.querySelector('[data-panel=generation]').panelData.tokens.length);
    if (error) await box.locator('[data-action=dismiss]').click();
    return { error, tokens };
  }

  const SETTINGS = [
    [{ temperature: '0' }, null], // greedy
    [{ temperature: '100' }, null], // the slider stops at 2
    [{ 'top-k': '0' }, null], // off
    [{ 'top-k': '2.5' }, 'Top-k must be a whole number from 0 to 65,536 (0 turns it off), not "2.5".'],
    [{ 'top-k': '1e9' }, 'Top-k must be a whole number from 0 to 65,536 (0 turns it off), not "1e9".'],
    [{ 'top-p': '0' }, null], // the slider stops at 0.05
    [{ 'top-p': '1.5' }, null], // and at 1 (off)
    [{ seed: '18446744073709551616' }, 'Seed must be a whole number from 0 to 9,007,199,254,740,991, not "18446744073709551616".'],
    [{ 'max-tokens': '0' }, 'Tokens must be a whole number from 1 to 2,000, not "0".'],
    [{ 'max-tokens': '1000000' }, 'Tokens must be a whole number from 1 to 2,000, not "1000000".'],
  ];
  for (const [fields, message] of SETTINGS) {
    test(`generation ${JSON.stringify(fields)}: ${message ?? 'generates'}`, async () => {
      const r = await generateWith(fields);
      assert.equal(r.error, message);
      if (!message) assert.ok(r.tokens > 0, 'it generated');
      assert.deepEqual(consoleOf(page), []);
    });
  }

  /** Sets the own corpus (typed) and presses Train; the error text, or null when it trained. */
  async function trainOn(text) {
    await page.selectOption('[data-role=corpus]', 'own');
    await page.locator('[data-role=corpus-text]').fill(text);
    await page.fill('[data-role=steps]', '5');
    await page.click('[data-action=train]');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status));
    return (await page.evaluate(() => document.body.dataset.status)) === 'error' ? errorText(page) : null;
  }

  async function upload(name, buffer) {
    await page.setInputFiles('[data-role=upload]', { name, mimeType: 'text/plain', buffer });
    await page.waitForFunction(() => !document.querySelector('[data-role=error-box]').hidden);
    return errorText(page);
  }

  test('corpora: empty, one character, too big, binary, not UTF-8; emoji, RTL and combining marks train', async () => {
    assert.equal(await trainOn(''), 'corpus problem: the corpus is empty: paste or choose some text to train on');
    assert.equal(await trainOn('a'), 'invalid model configuration: vocab_size is 1, but a language model needs at least 2 distinct tokens');
    assert.match(await trainOn('ab'.repeat(10)), /^corpus problem: .*too short.*context 32/);
    assert.equal(await upload('big.txt', Buffer.alloc(8 * 1024 * 1024 + 1, 'a')), '"big.txt" is 8.4 MB; the playground takes text files up to 4 MB');
    assert.equal(await upload('nul.txt', Buffer.from('abc\u0000def')), '"nul.txt" looks like a binary file (it contains NUL bytes); choose a plain-text file');
    assert.equal(await upload('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])), '"latin1.txt" is not UTF-8 text; choose a plain-text file');
    // Texts that are odd but valid: they train.
    for (const text of ['🙂🐳🍕🚀'.repeat(100), 'שלום עולם. مرحبا بالعالم. '.repeat(30), 'e\u0301a\u0300o\u0302 n\u0303 '.repeat(60)]) {
      assert.equal(await trainOn(text), null, `trains on ${JSON.stringify(text.slice(0, 12))}`);
    }
    assert.deepEqual(consoleOf(page), []);
  });

  async function load(name, buffer) {
    await page.setInputFiles('[data-role=load]', { name, mimeType: 'application/octet-stream', buffer });
    await page.waitForFunction((n) => document.querySelector('[data-role=error]').textContent.includes(n), name);
    return errorText(page);
  }

  test('model files: empty, truncated, another program\'s safetensors, JSON renamed, 200 MB', async () => {
    // A good file to start from, then the same model is expected to stay.
    await page.selectOption('[data-role=corpus]', 'names');
    const s = await train(page, 10);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=save]')]);
    const good = Buffer.from(await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks)));
    const kept = '. The current model is kept.';
    assert.equal(await load('empty.safetensors', Buffer.alloc(0)), `Could not load "empty.safetensors": the file is empty${kept}`);
    assert.match(await load('half.safetensors', good.subarray(0, good.length >> 1)), /^Could not load "half\.safetensors": cannot load checkpoint: not a readable safetensors file \(truncated or corrupted\?\)/);
    // Another program's safetensors: a valid file without our metadata.
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
    const foreign = Buffer.concat([Buffer.from(new BigUint64Array([BigInt(header.length)]).buffer), header, Buffer.alloc(8)]);
    assert.equal(await load('other.safetensors', foreign), `Could not load "other.safetensors": cannot load checkpoint: the file has no metadata; it was not written by this playground (a Hugging Face model.safetensors loads together with its config.json and tokenizer files)${kept}`);
    assert.match(await load('config.safetensors', Buffer.from('{"model_type": "gpt2", "n_layer": 2}')), /^Could not load "config\.safetensors": cannot load checkpoint: not a readable safetensors file/);
    const huge = join(mkdtempSync(join(tmpdir(), 'gpt-huge-')), 'huge.safetensors');
    writeFileSync(huge, Buffer.alloc(200 * 1024 * 1024));
    await page.setInputFiles('[data-role=load]', huge);
    await page.waitForFunction(() => document.querySelector('[data-role=error]').textContent.includes('huge.safetensors'));
    assert.equal(await errorText(page), `Could not load "huge.safetensors": the file is 209.7 MB; the playground loads model files up to 64 MB${kept}`);
    rmSync(huge);
    // Nothing was lost: the model trained above still generates and still has its step.
    assert.equal(await page.evaluate(() => document.querySelector('[data-role=train-stats]').dataset.step), s.step);
    await page.locator('[data-panel=generation] [data-role=max-tokens]').fill('10');
    await page.click('[data-action=generate]');
    await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length >= 10);
    assert.deepEqual(consoleOf(page), []);
  });
});
