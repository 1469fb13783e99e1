// Proves the layering rule fires: an import of node:fs, pkcs11js or electron from shared/ or
// electron/core/ is a lint error (and `npm test` runs lint before anything else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function errorsFor(path: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path });
  return (res?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.message);
}

test('shared/ may not import node built-ins, pkcs11js or electron', async () => {
  for (const imp of ["import { readFileSync } from 'node:fs';", "import fs from 'fs';", "import p from 'pkcs11js';", "import { app } from 'electron';"]) {
    const errs = await errorsFor('shared/x.ts', imp);
    assert.ok(errs.some((m) => /pure layer/.test(m)), `${imp} -> ${JSON.stringify(errs)}`);
  }
});

test('electron/core/ may not import node built-ins, pkcs11js, electron or adapters', async () => {
  for (const imp of ["import { writeFileSync } from 'node:fs';", "import p from 'pkcs11js';", "import { Pkcs11Module } from '../adapters/pkcs11';"]) {
    const errs = await errorsFor('electron/core/x.ts', imp);
    assert.ok(errs.length > 0, `${imp} should be refused in core`);
  }
});

test('adapters may use node built-ins and pkcs11js', async () => {
  assert.deepEqual(await errorsFor('electron/adapters/x.ts', "import { readFileSync } from 'node:fs';\nimport p from 'pkcs11js';\nexport { readFileSync, p };"), []);
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
    assert.ok(errs.some((m) => /carries a code/.test(m)), `${path}: ${code} -> ${JSON.stringify(errs)}`);
  }
  assert.deepEqual(await errorsFor('shared/x.ts', "import { KeyceremonyError } from './errors';\nthrow new KeyceremonyError('INVALID_KEY', 'x');"), []);
});
