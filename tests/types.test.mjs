// The published TypeScript declarations (www/types/*.d.ts) against the code: tsc checks
// types/check.ts, which compares them with what the JS modules export and their JSDoc says;
// each kind of drift found before (wrong member types, a void for a Promise, missing members,
// classes declared on an entry that does not export them) is put back into a copy, and tsc must
// fail on it. The reflected attribute properties and the declared choices are compared with the
// settings schema. Every module of the page carries // @ts-check and passes tsc --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { HIDEABLE, SCHEMA } from '../www/lib/state.js';
import { STATES, statusOf } from '../www/lib/run.js';
import { VIEWS } from '../www/panels/index.js';
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

test('every module of the page is // @ts-check and passes tsc --strict (JSDoc types)', () => {
  const www = join(root, 'www');
  const files = ['.', 'lib', 'lib/worker', 'panels'].flatMap((dir) => readdirSync(join(www, dir)).filter((f) => f.endsWith('.js')).map((f) => join(www, dir, f)));
  const unmarked = files.filter((f) => !readFileSync(f, 'utf8').startsWith('// @ts-check'));
  assert.deepEqual(unmarked, [], 'modules without // @ts-check on their first line');
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

test('the declared choices are the code\'s: every choice setting, the hideable parts, the panels, the run states', () => {
  const files = ['playground.d.ts', 'elements.d.ts'].map((f) => join(root, 'www', 'types', f));
  const program = ts.createProgram(files, { strict: true, skipLibCheck: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
  const checker = program.getTypeChecker();
  /** The string or number literals of a union type, sorted. */
  const literals = (type) => (type.isUnion() ? type.types : [type]).filter((t) => t.isLiteral()).map((t) => t.value).sort();
  const exported = (file, name) => {
    const source = program.getSourceFile(file);
    const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)).find((x) => x.name === name);
    assert.ok(symbol, `${name} is declared in ${file}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  const attributes = exported(files[1], 'GptPlaygroundAttributes');
  const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  const sorted = (xs) => [...xs].map(String).sort();
  for (const setting of SCHEMA.filter((x) => x.kind === 'choice')) {
    const type = checker.getTypeOfSymbol(attributes.getProperty(camel(setting.name)));
    assert.deepEqual(literals(type).map(String), sorted(setting.values), `the declared ${setting.name} values`);
  }
  // `workers`: 'auto' or a number, as SCHEMA's count with its words.
  const workers = checker.getTypeOfSymbol(attributes.getProperty('workers'));
  assert.deepEqual(literals(workers), sorted(SCHEMA.find((x) => x.name === 'workers').values));
  assert.deepEqual(literals(exported(files[0], 'Hideable')), sorted(HIDEABLE));
  assert.deepEqual(literals(exported(files[0], 'PanelName')), sorted(VIEWS.map((v) => v.name)));
  assert.deepEqual(literals(exported(files[0], 'RunStateName')), sorted(STATES));
  assert.deepEqual(literals(exported(files[0], 'Status')), sorted(new Set(STATES.map(statusOf))));
});
