// The tokenizer, embedding and scale panels, in one page (one browser, one training run).
// Run: cd tests && node --test --test-reporter=spec panels/tokenizer-embedding-scale.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, canvasColours, panel, panelData, shoot, train, waitPanel } from '../browser.mjs';

const QUERY = '?panels=tokenizer,embedding,scale&preset=tiny&corpus=names&device=cpu';
const harness = new Harness();
let page;

before(async () => {
  await harness.start();
  page = await harness.open(await harness.launch(), QUERY);
});
after(() => harness.close());

/** Wait until `panelData` of `name` satisfies `pred` (a function source run in the page). */
const waitData = (name, pred, timeout = 60_000) =>
  page.waitForFunction(([n, p]) => {
    const root = document.querySelector(`[data-panel="${n}"]`);
    return root?.dataset.state === 'ready' && root.panelData && new Function('d', `return (${p})(d)`)(root.panelData);
  }, [name, pred.toString()], { timeout, polling: 100 });

/** Spans [start, end) that follow each other without gap or overlap from 0 to `length`. */
function assertTiles(spans, length, what) {
  let at = 0;
  for (const [s, e] of spans) {
    assert.equal(s, at, `${what}: a span starts at ${s}, expected ${at}`);
    assert.ok(e >= s, `${what}: span [${s}, ${e})`);
    at = e;
  }
  assert.equal(at, length, `${what} end at ${at}, not ${length}`);
}

describe('tokenizer panel', () => {
  test('私は学生です under byte-level BPE: spans tile the text, bytes sum to 18, hex chips for split characters', async () => {
    await waitData('tokenizer', (d) => d.text === '私は学生です' && d.kind === 'bpe');
    const d = await panelData(page, 'tokenizer');
    assertTiles(d.spans, d.text.length, 'character spans');
    assertTiles(d.byteSpans, 18, 'byte spans');
    assert.equal(d.spans.map(([s, e]) => d.text.slice(s, e)).join(''), d.text);
    assert.equal(d.ids.length, d.tokens.length);
    // Names are ASCII, so no merge covers these characters: some tokens are bare bytes.
    const hexChips = await panel(page, 'tokenizer').locator('.tokenizer-chip.tokenizer-partial .tokenizer-text').allTextContents();
    assert.ok(hexChips.length > 0, 'some chips are partial UTF-8');
    for (const t of hexChips) assert.match(t, /^<[0-9a-f]{2}( [0-9a-f]{2})*>$/);
    assert.equal(hexChips.length, d.partial.filter(Boolean).length);
    assert.ok(await panel(page, 'tokenizer').locator('.tokenizer-partial-note').isVisible());
    // Focusing a chip tells its spans.
    await panel(page, 'tokenizer').locator('.tokenizer-chip').first().focus();
    assert.match(await page.locator('[data-role=token-detail]').textContent(), /bytes \[0, \d+\)/);
    console.log(`私は学生です, BPE ${d.vocabSize}: ${d.ids.length} tokens, ${hexChips.length} partial; tokens ${JSON.stringify(d.tokens)}`);
    await shoot(panel(page, 'tokenizer'), 'panel-tokenizer');
  });

  test('a larger BPE vocabulary gives no more tokens; char-level gives one token per character', async () => {
    await page.getByRole('button', { name: 'From the corpus' }).click();
    await waitData('tokenizer', (d) => d.text.includes('\n') && d.kind === 'bpe' && d.requestedVocabSize === 512);
    const sample = (await panelData(page, 'tokenizer')).text;
    const counts = {};
    for (const size of [300, 512, 2048]) {
      await page.fill('[data-role=tokenizer-vocab]', String(size));
      await waitData('tokenizer', new Function('d', `return d.requestedVocabSize === ${size} && d.ids.length > 0`));
      const d = await panelData(page, 'tokenizer');
      assert.equal(d.text, sample);
      assertTiles(d.spans, sample.length, `spans at ${size}`);
      counts[size] = d.ids.length;
    }
    assert.ok(counts[2048] <= counts[512] && counts[512] <= counts[300], `tokens by vocabulary: ${JSON.stringify(counts)}`);
    assert.ok(counts[2048] < counts[300], `a 2048-token BPE should merge more than a 300-token one: ${JSON.stringify(counts)}`);
    await page.check('[data-role=tokenizer-kind-char]');
    await waitData('tokenizer', (d) => d.kind === 'char' && d.ids.length > 0);
    const c = await panelData(page, 'tokenizer');
    assert.equal(c.ids.length, [...sample].length, 'char-level: one token per character');
    assert.ok(c.ids.length > counts[512], `char ${c.ids.length} vs BPE ${counts[512]}`);
    console.log(`corpus sample (${sample.length} chars): BPE tokens ${JSON.stringify(counts)}, char-level ${c.ids.length}`);
  });

  test('char-level on Japanese text names the unknown characters and suggests BPE', async () => {
    await page.getByRole('button', { name: /Japanese/ }).click();
    await waitData('tokenizer', (d) => d.kind === 'char' && d.text === '私は学生です' && d.error);
    const d = await panelData(page, 'tokenizer');
    assert.deepEqual(d.unknownChars, [...'私は学生です']);
    const message = await page.locator('[data-role=tokenizer-problem]').textContent();
    assert.match(message, /no token for 6 characters/);
    assert.match(message, /"私"/);
    assert.match(message, /BPE/);
    await shoot(panel(page, 'tokenizer'), 'panel-tokenizer-char-unknown');
    // The page-wide alert stays closed: the panel explains it itself.
    assert.equal(await page.locator('[data-role=error-box]').isVisible(), false);
    await page.getByRole('button', { name: 'Use byte-level BPE' }).click();
    await waitData('tokenizer', (d) => d.kind === 'bpe' && d.text === '私は学生です' && !d.error);
  });

  test("GPT-2's own tokenizer gives GPT-2's ids (50,257 tokens, contractions split off)", async () => {
    await page.check('[data-role=tokenizer-kind-gpt2]');
    await waitData('tokenizer', (d) => d.kind === 'gpt2' && d.text === '私は学生です' && d.ids.length > 0);
    const j = await panelData(page, 'tokenizer');
    // The ids of GPT-2's published vocabulary (Hugging Face `tokenizers` on the same files).
    assert.deepEqual(j.ids, [163, 100, 223, 31676, 27764, 99, 37955, 30640, 33623]);
    assert.equal(j.vocabSize, 50257);
    assertTiles(j.byteSpans, 18, 'GPT-2 byte spans');
    await page.fill('[data-role=tokenizer-text]', "We don't stop.");
    await waitData('tokenizer', (d) => d.kind === 'gpt2' && d.text === "We don't stop.");
    const d = await panelData(page, 'tokenizer');
    assert.deepEqual(d.ids, [1135, 836, 470, 2245, 13]);
    assert.deepEqual(d.tokens, ['We', ' don', "'t", ' stop', '.']);
    assert.equal(await page.locator('[data-role=tokenizer-vocab]').isDisabled(), true);
    assert.match(await page.locator('[data-role=tokenizer-summary]').textContent(), /GPT-2's vocabulary of 50,257 tokens/);
    await shoot(panel(page, 'tokenizer'), 'panel-tokenizer-gpt2');
    await page.check('[data-role=tokenizer-kind-bpe]');
    await page.fill('[data-role=tokenizer-text]', '私は学生です');
    await waitData('tokenizer', (d) => d.kind === 'bpe' && d.text === '私は学生です');
  });
});

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('embedding panel', () => {
  let early;
  test('empty before a model exists, then a PCA map from the live weights', async () => {
    assert.equal(await page.locator('[data-panel=embedding]').getAttribute('data-state'), 'empty');
    await train(page, 1);
    await waitData('embedding', (d) => d.step === 1);
    early = await panelData(page, 'embedding');
    assert.equal(early.points.length, early.vocabSize);
  });

  test('after training: the picture moved, PCA is right, neighbours and position similarity hold', async () => {
    const s = await train(page, 300);
    assert.equal(Number(s.step), 301);
    await waitData('embedding', (d) => d.step === 301);
    const d = await panelData(page, 'embedding');
    // The map changes as the model learns.
    const spread = Math.sqrt(mean(early.points.map(([x, y]) => x * x + y * y)));
    const moved = mean(d.points.map(([x, y], i) => Math.hypot(x - early.points[i][0], y - early.points[i][1])));
    assert.ok(moved > 0.1 * spread, `mean displacement ${moved} vs spread ${spread}`);
    // PCA: ordered components, orthogonal, and the projections uncorrelated with the variance split reported.
    const [e1, e2] = d.explained;
    assert.ok(e1 >= e2 && e2 > 0 && e1 + e2 <= 1 + 1e-9, `explained ${d.explained}`);
    assert.ok(Math.abs(d.orthogonality) < 1e-3, `PC1·PC2 = ${d.orthogonality}`);
    const xs = d.points.map((p) => p[0]);
    const ys = d.points.map((p) => p[1]);
    const [mx, my] = [mean(xs), mean(ys)];
    assert.ok(Math.abs(mx) < 1e-6 && Math.abs(my) < 1e-6, 'projections are centred');
    const vx = mean(xs.map((x) => (x - mx) ** 2));
    const vy = mean(ys.map((y) => (y - my) ** 2));
    const cxy = mean(xs.map((x, i) => (x - mx) * (ys[i] - my)));
    assert.ok(Math.abs(cxy) / Math.sqrt(vx * vy) < 1e-3, `PC projections correlate: ${cxy / Math.sqrt(vx * vy)}`);
    assert.ok(Math.abs(vx / vy - e1 / e2) < 1e-3 * (e1 / e2), `variance ratio ${vx / vy} vs explained ${e1 / e2}`);
    // Neighbours of a chosen token.
    const id = d.tokens.indexOf('a');
    await page.selectOption('[data-role=embedding-token]', String(id));
    await waitData('embedding', new Function('d', `return d.selected && d.selected.id === ${id}`));
    const n = (await panelData(page, 'embedding')).selected.neighbours;
    assert.ok(n.length >= 5 && n.length <= 8);
    n.forEach((x, i) => {
      assert.ok(x.cosine >= -1 - 1e-6 && x.cosine <= 1 + 1e-6);
      if (i) assert.ok(n[i - 1].cosine >= x.cosine, 'sorted by cosine, descending');
      assert.notEqual(x.id, id);
    });
    assert.equal(await panel(page, 'embedding').locator('[data-role=neighbours] li').count(), n.length);
    // Position embeddings: cosine matrix with unit diagonal, symmetric.
    const P = d.positionSimilarity;
    assert.equal(P.length, d.blockSize);
    P.forEach((row, i) => row.forEach((v, j) => {
      if (i === j) assert.ok(Math.abs(v - 1) < 1e-4, `diagonal ${v}`);
      assert.ok(Math.abs(v - P[j][i]) < 1e-9, 'symmetric');
    }));
    assert.ok((await canvasColours(page, '.embedding-map')) > 4, 'map drawn');
    assert.ok((await canvasColours(page, '.embedding-heat')) > 20, 'heatmap drawn');
    assert.match(await page.locator('[data-role=embedding-step]').textContent(), /step 301/);
    console.log(`embedding: moved ${moved.toFixed(3)} (spread ${spread.toFixed(3)}); explained ${(e1 * 100).toFixed(1)}% + ${(e2 * 100).toFixed(1)}%; `
      + `neighbours of "a": ${n.map((x) => `${JSON.stringify(x.token)} ${x.cosine.toFixed(2)}`).join(', ')}; `
      + `adjacent positions ${d.adjacentSimilarity.toFixed(2)}, far ${d.farSimilarity.toFixed(2)}`);
    await shoot(panel(page, 'embedding'), 'panel-embedding');
  });
});

describe('scale panel', () => {
  test('GPT-1/2/3 counts from the config code, and the reader\'s model placed below GPT-1', async () => {
    await waitData('scale', (d) => d.yours && d.models.length > 0);
    const d = await panelData(page, 'scale');
    const by = Object.fromEntries(d.models.map((m) => [m.name, m]));
    const near = (a, b, rel) => Math.abs(a - b) <= rel * b;
    assert.ok(near(by['GPT-3 175B'].paramCount, 175e9, 0.01), `GPT-3 175B: ${by['GPT-3 175B'].paramCount}`);
    assert.ok(near(by['GPT-2 small'].paramCount, 124e6, 0.01), `GPT-2 small: ${by['GPT-2 small'].paramCount}`);
    const row175 = panel(page, 'scale').locator('tr[data-name="GPT-3 175B"] [data-role=computed]');
    assert.equal(await row175.textContent(), '175B');
    for (const family of ['GPT-2', 'GPT-3']) {
      const counts = d.models.filter((m) => m.family === family).map((m) => m.paramCount);
      counts.slice(1).forEach((c, i) => assert.ok(c > counts[i], `${family} grows: ${counts}`));
    }
    // The reader's model: the same count as the page's model line, left of GPT-1 on the axis.
    const line = await page.locator('[data-role=model-info]').textContent();
    const count = Number(line.match(/([\d,]+) parameters/)[1].replace(/,/g, ''));
    assert.equal(d.yours.paramCount, count);
    assert.ok(d.yours.x < by['GPT-1'].x, `yours at x=${d.yours.x}, GPT-1 at x=${by['GPT-1'].x}`);
    // Positions are logarithmic: equal ratios, equal distances.
    const perDecade = (by['GPT-3 175B'].x - by['GPT-1'].x) / Math.log10(by['GPT-3 175B'].paramCount / by['GPT-1'].paramCount);
    const predicted = by['GPT-1'].x - perDecade * Math.log10(by['GPT-1'].paramCount / count);
    assert.ok(Math.abs(predicted - d.yours.x) < 0.5, `log axis: ${predicted} vs ${d.yours.x}`);
    assert.equal(await panel(page, 'scale').locator('.scale-svg .scale-yours').count(), 1);
    console.log(`scale: yours ${count.toLocaleString()}, GPT-1 ${by['GPT-1'].paramCount.toLocaleString()}, GPT-2 small ${by['GPT-2 small'].paramCount.toLocaleString()}, `
      + `GPT-3 175B ${by['GPT-3 175B'].paramCount.toLocaleString()}`);
    await shoot(panel(page, 'scale'), 'panel-scale');
    assert.deepEqual(page.consoleErrors, []);
  });
});

describe('at 390 px wide', () => {
  test('nothing overflows the page', async () => {
    const narrow = await harness.open(await harness.launch({ width: 390, height: 900 }), QUERY);
    await waitPanel(narrow, 'scale');
    await waitPanel(narrow, 'tokenizer');
    await train(narrow, 20);
    await waitPanel(narrow, 'embedding');
    await narrow.waitForFunction(() => document.querySelector('[data-panel=scale]').panelData.yours);
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);
    for (const name of ['tokenizer', 'embedding', 'scale']) await shoot(panel(narrow, name), `panel-${name}-390`);
    assert.deepEqual(narrow.consoleErrors, []);
  });
});
