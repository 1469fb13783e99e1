// Proves each lint rule fires (eslint.config.js; `npm test` runs lint before anything else): the
// layering (imports and Node globals), coded errors, and the type-aware typescript-eslint rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

// The probes are not files on disk: the type-aware rules see them through the default project.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*/x.ts', '*/*/x.ts', '*/*/x.tsx'], defaultProject: 'tsconfig.json' } } },
  },
});

async function errorsFor(path: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path });
  return (res?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.message);
}

test('shared/ may not import node built-ins, pkcs11js or electron', async () => {
  for (const imp of ["import { readFileSync } from 'node:fs';", "import fs from 'fs';", "import p from 'pkcs11js';", "import { app } from 'electron';"]) {
    const errs = await errorsFor('shared/x.ts', imp);
    assert.ok(
      errs.some((m) => /pure layer/.test(m)),
      `${imp} -> ${JSON.stringify(errs)}`,
    );
  }
});

test('electron/core/ may not import node built-ins, pkcs11js, electron or adapters', async () => {
  for (const imp of ["import { writeFileSync } from 'node:fs';", "import p from 'pkcs11js';", "import { Pkcs11Module } from '../adapters/pkcs11';"]) {
    const errs = await errorsFor('electron/core/x.ts', imp);
    assert.ok(errs.length > 0, `${imp} should be refused in core`);
  }
});

test('adapters may use node built-ins and pkcs11js', async () => {
  assert.deepEqual(
    await errorsFor('electron/adapters/x.ts', "import { writeFileSync } from 'node:fs';\nimport p from 'pkcs11js';\nexport { writeFileSync, p };"),
    [],
  );
});

test('the CLI and the main process read files only through the bounded reader (electron/adapters/fs/read.ts)', async () => {
  for (const [path, imp] of [
    ['electron/cli/x.ts', "import { readFileSync } from 'node:fs';"],
    ['electron/adapters/x.ts', "import { readFile } from 'node:fs/promises';"],
    ['electron/ipc/x.ts', "import { createReadStream } from 'fs';"],
    ['electron/main.ts', "import { readFileSync, writeFileSync } from 'node:fs';"],
  ]) {
    const errs = await errorsFor(path as string, `${imp}\nexport {};`);
    assert.ok(
      errs.some((m) => /readInputFile/.test(m)),
      `${path}: ${imp} -> ${JSON.stringify(errs)}`,
    );
  }
  assert.deepEqual(await errorsFor('electron/adapters/fs/read.ts', "import { readSync } from 'node:fs';\nexport { readSync };"), []);
});

test('shared/ and electron/ may not throw uncoded errors (new Error, TypeError, RangeError, Error subclasses)', async () => {
  for (const [path, code] of [
    ['shared/x.ts', "throw new Error('x');"],
    ['shared/x.ts', "throw new TypeError('x');"],
    ['electron/core/x.ts', "throw new RangeError('x');"],
    ['electron/adapters/x.ts', "throw Error('x');"],
    ['electron/ipc/x.ts', 'export class Fail extends Error {}'],
  ]) {
    const errs = await errorsFor(path as string, code as string);
    assert.ok(
      errs.some((m) => /carries a code/.test(m)),
      `${path}: ${code} -> ${JSON.stringify(errs)}`,
    );
  }
  assert.deepEqual(await errorsFor('shared/x.ts', "import { KeyceremonyError } from './errors';\nthrow new KeyceremonyError('INVALID_KEY', 'x');"), []);
});

test('the pure layers may not use the Node globals Buffer, process or require', async () => {
  for (const path of ['shared/x.ts', 'electron/core/x.ts', 'renderer/src/x.tsx']) {
    for (const code of ["export const b = Buffer.from('x');", 'export const e = process.env;', "export const m = require('fs');"]) {
      const errs = await errorsFor(path, code);
      assert.ok(
        errs.some((m) => /pure layer: no Node global/.test(m)),
        `${path}: ${code} -> ${JSON.stringify(errs)}`,
      );
    }
  }
  assert.deepEqual(await errorsFor('electron/adapters/x.ts', "export const b = Buffer.from('x');"), []);
});

test("a promise nobody awaits is an error, except node:test's own test()/describe()", async () => {
  const errs = await errorsFor('electron/ipc/x.ts', 'async function f(): Promise<void> {}\nf();\nexport {};');
  assert.ok(
    errs.some((m) => /Promises must be awaited/.test(m)),
    JSON.stringify(errs),
  );
  assert.deepEqual(await errorsFor('test/pure/x.ts', "import { test } from 'node:test';\ntest('t', async () => {});"), []);
});

test('a switch over a union that misses a member and has no default is an error', async () => {
  const code = (dflt: string) =>
    `type K = 'a' | 'b';\nexport function g(k: K): number {\n  switch (k) {\n    case 'a':\n      return 1;${dflt}\n  }\n  return 0;\n}`;
  const errs = await errorsFor('shared/x.ts', code(''));
  assert.ok(
    errs.some((m) => /Switch is not exhaustive. Cases not matched: "b"/.test(m)),
    JSON.stringify(errs),
  );
  assert.deepEqual(await errorsFor('shared/x.ts', code('\n    default:\n      return 2;')), []);
});
