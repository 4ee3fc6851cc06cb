// The JS corpus matcher (corpus.mjs) against the table Go's matcher is
// tested with (internal/conformance/testdata/match.json): the two runners
// must judge a response alike, and neither may match everything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { match, loadExceptions, root, EXCEPTIONS_FILE } from './corpus.mjs';

const table = JSON.parse(readFileSync(join(root, 'internal', 'conformance', 'testdata', 'match.json'), 'utf8')).cases;

test('the match table has matching and differing pairs', () => {
  assert.ok(table.filter((c) => c.at === null).length >= 5);
  assert.ok(table.filter((c) => c.at !== null).length >= 15);
});

for (const c of table) {
  test(`match: ${c.name}`, () => {
    const diff = match(c.want, c.got);
    if (c.at === null) assert.equal(diff, null, `want a match, got ${diff}`);
    else {
      assert.ok(diff !== null, `matched; want a difference at ${c.at}`);
      assert.ok(diff.startsWith(`${c.at}: `), `difference ${JSON.stringify(diff)}, want it at ${c.at}`);
    }
  });
}

test('exceptions are read strictly, as Go reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-exc-'));
  try {
    const load = (doc) => {
      writeFileSync(join(dir, EXCEPTIONS_FILE), JSON.stringify(doc));
      return loadExceptions('node', dir);
    };
    const got = load({ exceptions: [{ engine: 'node', case: 'pin.json/a', reason: 'r' }, { engine: 'wasm', case: 'pin.json/b', reason: 'r' }] });
    assert.deepEqual([...got], [['pin.json/a', 'r']]);
    assert.throws(() => load({ exceptions: [{ engine: 'nodejs', case: 'pin.json/a', reason: 'r' }] }), /engine "nodejs" is not one of/);
    assert.throws(() => load({ exceptions: [{ engine: 'node', reason: 'r' }] }), /no case/);
    assert.throws(() => load({ exceptions: [{ engine: 'node', case: 'pin.json/a' }] }), /no reason/);
    assert.throws(() => load({ exceptions: [{ engine: 'node', case: 'pin.json/a', reason: 'r', why: 1 }] }), /unknown field "why"/);
    assert.throws(() => load({ exceptions: [{ engine: 'node', case: 'pin.json/a', reason: 'r' }, { engine: 'node', case: 'pin.json/a', reason: 's' }] }), /listed twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
