// index.d.ts against a program that uses the package by its name (through
// package.json "exports" and "types"), with TypeScript in strict mode;
// @ts-expect-error lines prove misuses are refused. Also checks that the
// package's entry points resolve at run time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { need } from './env.mjs';

const jsDir = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

test('index.d.ts type-checks the example program in strict mode', { skip: need('typescript', existsSync(tsc), 'make js-deps (npm ci in js/)') }, () => {
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck', 'false', 'test/types-example.ts'],
    { cwd: jsDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`tsc found errors:\n${e.stdout}${e.stderr}`);
  }
});

test('the package resolves by its name: main entry, wasi, catalogues', async () => {
  const pkg = await import('@tollgate/tollgate');
  assert.equal(typeof pkg.load, 'function');
  assert.equal(typeof pkg.TollgateError, 'function');
  const wasi = await import('@tollgate/tollgate/wasi');
  assert.equal(typeof wasi.WASI, 'function');
  const audit = await import('@tollgate/tollgate/audit');
  assert.equal(typeof audit.audit, 'function');
  const en = await import('@tollgate/tollgate/messages.en.json', { with: { type: 'json' } });
  assert.equal(en.default.lang, 'en');
});
