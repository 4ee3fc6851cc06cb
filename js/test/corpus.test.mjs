// Parity: the whole conformance corpus under Node against the committed
// module, matched by Go's rules, then compared byte for byte with the native
// Go core's responses to the same cases in the same order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, render } from '../tollgate.js';
import { loadCorpus, loadExceptions, match, root } from './corpus.mjs';
import { need } from './env.mjs';

const ENGINE = 'node';
const cases = loadCorpus();
const exceptions = loadExceptions(ENGINE);
const english = JSON.parse(readFileSync(join(root, 'js', 'messages.en.json'), 'utf8')).messages;

// One instance runs every case in corpus order, as Go's runner uses one
// session: handles returned by policy.load and tables.load depend on it.
// TOLLGATE_WASM names another module file to try (a fresh build, say); by
// default the committed artifact runs.
const tg = await load(process.env.TOLLGATE_WASM ? { module: process.env.TOLLGATE_WASM } : {});
const responses = new Map();
for (const c of cases) {
  try {
    responses.set(c.id, tg.callText(c.op, c.request));
  } catch (e) {
    responses.set(c.id, e);
  }
}

test('the corpus is not empty', () => {
  assert.ok(cases.length > 0, 'conformance: empty corpus (testdata/vectors/*.json)');
});

const files = [...new Set(cases.map((c) => c.file))];
for (const file of files) {
  test(`corpus ${file}`, async (t) => {
    for (const c of cases.filter((x) => x.file === file)) {
      await t.test(c.name, (t) => {
        const res = responses.get(c.id);
        let diff = res instanceof Error ? `module fault: ${res.message}` : match(JSON.parse(c.want), JSON.parse(res));
        if (!diff && !(res instanceof Error)) diff = checkMessages(JSON.parse(res));
        const reason = exceptions.get(c.id);
        if (reason !== undefined) {
          assert.ok(diff, `${c.file}:${c.line}: ${c.name} passes on ${ENGINE}; remove its exception (${reason})`);
          t.skip(`known difference on ${ENGINE}: ${reason}`);
          return;
        }
        if (diff) assert.fail(`${c.file}:${c.line}: ${c.name} [${ENGINE}]: ${diff}`);
      });
    }
  });
}

test('every node exception names a case in the corpus', () => {
  const ids = new Set(cases.map((c) => c.id));
  for (const id of exceptions.keys()) assert.ok(ids.has(id), `exceptions.json: exception for ${id} names no case in the corpus`);
});

// checkMessages: every English message the module sends is the catalogue's
// template rendered for that reason, so messages.en.json is what the module
// speaks, and translations re-render from the same fields.
function checkMessages(res) {
  for (const r of res?.reasons ?? []) {
    const want = render(english[r.code], r);
    if (r.message !== want) return `reason ${r.code}: message ${JSON.stringify(r.message)} is not the catalogue's ${JSON.stringify(want)}`;
  }
  return null;
}

// firstDifference shows where two responses part, with a little context.
function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `at character ${i}:\n  native: …${a.slice(from, i + 60)}…\n  node:   …${b.slice(from, i + 60)}…`;
}

// nativeResponses runs the corpus on the Go core through js/internal/jsgen.
function nativeResponses() {
  const out = execFileSync('go', ['run', './js/internal/jsgen', 'native'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Map(JSON.parse(out).map((r) => [r.id, r.response]));
}

test('byte-identical to the native Go core', (t) => {
  let native;
  try {
    native = nativeResponses();
  } catch (e) {
    if (e.code === 'ENOENT') {
      t.skip(need('go', false, 'https://go.dev/dl/; the native comparison needs it'));
      return;
    }
    throw new Error(`go run ./js/internal/jsgen native failed: ${e.stderr || e.message}`);
  }
  assert.equal(native.size, cases.length, 'Go and Node read a different number of cases');
  const diffs = [];
  for (const c of cases) {
    const got = responses.get(c.id);
    const ref = native.get(c.id);
    if (ref === undefined) diffs.push(`${c.file}:${c.line}: ${c.name}: not in Go's corpus`);
    else if (got !== ref && !exceptions.has(c.id)) {
      diffs.push(`${c.file}:${c.line}: ${c.name}: differs from the native core ${firstDifference(ref, got instanceof Error ? got.message : got)}`);
    }
  }
  if (diffs.length > 0) {
    assert.fail(`${diffs.length} of ${cases.length} responses differ (is wasm/tollgate.wasm stale? make wasm):\n${diffs.slice(0, 10).join('\n')}`);
  }
});
