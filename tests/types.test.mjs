// The published TypeScript declarations (www/types/*.d.ts) against the code: tsc checks
// types/check.ts, which compares them with what the JS modules export and their JSDoc says;
// each kind of drift found before (wrong member types, a void for a Promise, missing members,
// classes declared on an entry that does not export them) is put back into a copy, and tsc must
// fail on it. The reflected attribute properties are compared with the settings schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { SCHEMA } from '../www/lib/state.js';
import { root } from './browser.mjs';

const TSC = join(root, 'tests', 'node_modules', '.bin', 'tsc');
const FLAGS = ['--noEmit', '--noErrorTruncation', '--strict', '--allowJs', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'esnext,dom'];

/** tsc over the files `check` (cwd `dir`): its output, or '' when clean. */
function tsc(dir, check) {
  try {
    execFileSync(TSC, [...FLAGS, ...[check].flat()], { cwd: dir, stdio: 'pipe' });
    return '';
  } catch (err) {
    return String(err.stdout) || String(err);
  }
}

test('the modules marked // @ts-check pass tsc --strict (JSDoc types; the others are still to do)', () => {
  const www = join(root, 'www');
  const files = ['lib', 'lib/worker', 'panels'].flatMap((dir) => readdirSync(join(www, dir)).filter((f) => f.endsWith('.js')).map((f) => join(www, dir, f)))
    .filter((f) => readFileSync(f, 'utf8').startsWith('// @ts-check'));
  assert.ok(files.length >= 14, `${files.length} checked modules`);
  assert.equal(tsc(root, files), '');
});

test('the declarations agree with the code', () => {
  assert.equal(tsc(join(root, 'tests'), 'types/check.ts'), '');
});

// A copy of www/types with one edit, beside the real lib/, panels/ and pkg/.
const DRIFTS = {
  'history as arrays': ['playground.d.ts', /readonly history: \{[^\n]*\};/, 'readonly history: { train: [number, number][]; val: [number, number][] };'],
  'reset() as void': ['playground.d.ts', 'reset(): Promise<unknown>;', 'reset(): void;'],
  'a member left out (importHf)': ['playground.d.ts', /importHf\(files[^\n]*\n/, ''],
  'a member that does not exist': ['playground.d.ts', 'readonly pretrained: boolean;', 'readonly pretrained: boolean;\n  readonly finetuned: boolean;'],
  'the elements declared on the main entry': ['playground.d.ts', /$/, '\nexport declare class GptPanelElement extends HTMLElement {}\n'],
  'an export of elements.js left out': ['elements.d.ts', "export { Playground } from './playground.js';", ''],
};

test('each kind of drift fails the check', () => {
  // One copy of www/types per drift (beside links to the real lib/, panels/ and pkg/), all checked
  // by one tsc run: each copy's errors name its folder.
  const dir = mkdtempSync(join(tmpdir(), 'gpt-types-'));
  try {
    // ES modules, as in www/package.json (the // @ts-check modules use import.meta).
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    const cases = [...Object.entries(DRIFTS), ['none', null]];
    const checks = cases.map(([what, drift], i) => {
      const d = join(dir, `d${i}`);
      cpSync(join(root, 'www', 'types'), join(d, 'types'), { recursive: true });
      for (const part of ['lib', 'panels', 'pkg', 'corpora']) symlinkSync(join(root, 'www', part), join(d, part));
      writeFileSync(join(d, 'check.ts'), readFileSync(join(root, 'tests', 'types', 'check.ts'), 'utf8').replaceAll('../../www/', './'));
      if (drift) {
        const [file, from, to] = drift;
        const original = readFileSync(join(d, 'types', file), 'utf8');
        const drifted = original.replace(from, to);
        assert.notEqual(drifted, original, `${what}: the edit applies`);
        writeFileSync(join(d, 'types', file), drifted);
      }
      return `d${i}/check.ts`;
    });
    const out = tsc(dir, checks);
    cases.forEach(([what], i) => {
      const failed = out.split('\n').some((line) => line.startsWith(`d${i}/`));
      assert.equal(failed, what !== 'none', `${what}: ${what === 'none' ? 'the unedited copy passes' : 'tsc must fail'}\n${out}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the element\'s declared attribute properties are the settings schema\'s, camel-cased', () => {
  /** The members an interface of `file` declares, with those of the interfaces it extends (by name, in `files`). */
  const parse = (name) => {
    const file = join(root, 'www', 'types', name);
    return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  };
  const sources = [parse('elements.d.ts'), parse('playground.d.ts')];
  const members = (name) => {
    for (const source of sources) {
      const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === name);
      if (!decl) continue;
      const inherited = (decl.heritageClauses ?? []).flatMap((h) => h.types.flatMap((t) => members(t.expression.getText(source))));
      return [...decl.members.map((m) => m.name.getText(source)), ...inherited];
    }
    assert.fail(`no interface ${name} in the declarations`);
  };
  const declared = members('GptPlaygroundAttributes').sort();
  const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  assert.deepEqual(declared, [...SCHEMA.map((s) => camel(s.name)), 'autosave'].sort());
});
