// Hugging Face in the page: a GPT-2 folder made outside this project (by bench/check_hf_import.py
// with `tokenizers`, `safetensors` and NumPy: GPT-2's gelu_new, <|endoftext|>, tokenizers' own
// id layout) is imported through the Load control, drives the attention and generation panels,
// and "Download for transformers" gives a zip of the folder that Python's zipfile reads.
// `make export-check` writes the folder; HF_FOLDER points elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorText, panel, panelData, root, shoot, sharedBrowser, waitPanel } from './browser.mjs';

const FOLDER = process.env.HF_FOLDER ?? join(root, 'target', 'hf-import', 'lm');
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => join(FOLDER, f));
const shared = sharedBrowser();

/** The names and JSON headers of a safetensors file's tensors. */
function tensors(bytes) {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(bytes).subarray(8, 8 + n).toString('utf8'));
  delete header.__metadata__;
  return Object.fromEntries(Object.entries(header).map(([k, v]) => [k, v.shape]));
}

test('a GPT-2 folder imports, drives attention and generation, and downloads for transformers', async () => {
  assert.ok(existsSync(FILES[0]), `no GPT-2 folder at ${FOLDER}: run \`make export-check\` first (or set HF_FOLDER)`);
  const config = JSON.parse(readFileSync(FILES[0], 'utf8'));
  const page = await shared.harness.open(shared.context, '?panels=attention,generation&preset=tiny&corpus=names&device=cpu');

  // Files that are not a folder: refused by name, and the page stays usable.
  await page.setInputFiles('[data-role=load]', [FILES[1], FILES[2]]);
  await page.waitForFunction(() => document.querySelector('[data-role=error]').textContent.includes('config.json'));
  assert.equal(await errorText(page), 'Could not import 2 files: there is no config.json among model.safetensors, tokenizer.json: choose the folder\'s config.json, model.safetensors and tokenizer files together. The current model is kept.');

  await page.setInputFiles('[data-role=load]', FILES);
  await page.waitForFunction(() => document.body.dataset.status === 'done'
    || document.querySelector('[data-role=error]').textContent.includes('3 files'), null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.status), 'done', await errorText(page));
  const stats = await page.locator('[data-role=train-stats]').textContent();
  assert.match(stats, new RegExp(`^Imported a Hugging Face GPT-2 \\(3 files\\): ${config.n_layer} layers × ${config.n_embd} wide, ${config.n_head} heads, context ${config.n_positions}, ${config.vocab_size} tokens, .* parameters, GPT-2's tanh GELU\\.`));

  // The attention panel inspects the imported model: one causal map per layer and head.
  await waitPanel(page, 'attention');
  const a = await panelData(page, 'attention');
  assert.equal(a.nLayer, config.n_layer);
  assert.equal(a.nHead, config.n_head);
  // Generation samples from it (its vocabulary includes <|endoftext|>, id 0 in this layout).
  await page.locator('[data-panel=generation] [data-role=max-tokens]').fill('12');
  await page.click('[data-action=generate]');
  await page.waitForFunction(() => document.querySelector('[data-panel=generation]').panelData.tokens.length >= 12, null, { timeout: 60_000 });
  const g = await panelData(page, 'generation');
  assert.ok(g.tokens.every((t) => t.id >= 0 && t.id < config.vocab_size));
  assert.equal(await page.locator('[data-panel=attention] > .panel-status').textContent(), '', 'no "untrained" note for an imported model');
  await shoot(panel(page, 'attention'), 'hf-import-attention');
  await shoot(page.locator('[data-role=train-stats]').locator('xpath=..'), 'hf-import-train');

  // Download for transformers: a zip with the folder's files; zipfile checks every CRC.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=export-hf]')]);
  assert.match(download.suggestedFilename(), /^gpt-tiny-step0-transformers\.zip$/);
  const zipPath = join(mkdtempSync(join(tmpdir(), 'gpt-hf-')), download.suggestedFilename());
  writeFileSync(zipPath, Buffer.concat(await (await download.createReadStream()).toArray()));
  const listing = JSON.parse(execFileSync('python3', ['-c', `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: z.read(i).hex() if i.filename.endswith('.safetensors') else z.read(i).decode() for i in z.infolist()}))
`, zipPath], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  const names = Object.keys(listing).map((n) => n.replace(/^gpt-tiny-step0\//, ''));
  assert.deepEqual(names, ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt']);
  const out = JSON.parse(listing['gpt-tiny-step0/config.json']);
  for (const key of ['n_layer', 'n_head', 'n_embd', 'n_positions', 'vocab_size', 'activation_function']) assert.equal(out[key], config[key], key);
  assert.equal(out.eos_token_id, 0, '<|endoftext|> is the end-of-text id');
  // The same tensors (GPT-2 names and shapes) as the folder imported.
  const back = tensors(Buffer.from(listing['gpt-tiny-step0/model.safetensors'], 'hex'));
  assert.deepEqual(back, tensors(readFileSync(FILES[1])));
  const tok = JSON.parse(listing['gpt-tiny-step0/tokenizer.json']);
  assert.equal(tok.pre_tokenizer.type, 'ByteLevel');
  assert.deepEqual(tok.added_tokens.map((t) => [t.id, t.content]), [[0, '<|endoftext|>']]);
  assert.deepEqual(page.consoleErrors.filter((m) => /panicked|unreachable|RuntimeError/.test(m)), []);
});
