// Differential fuzzing of the JS path against the native Go core: random
// PINs, passwords, contexts, dialed numbers and hash records (seeded, so a
// failure reproduces with TOLLGATE_FUZZ_SEED) go through the module from JS
// and through api.Session.Do natively (go run ./js/internal/jsgen do); every
// response must be byte-identical. This exercises what the corpus cannot
// enumerate: UTF-8 encoding of odd strings, lone surrogates, requests larger
// than the scratch buffer, and handles across many calls.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { load } from '../tollgate.js';
import { root } from './corpus.mjs';
import { need } from './env.mjs';

const seed = Number(process.env.TOLLGATE_FUZZ_SEED ?? Date.now() % 1e9);
const N = Number(process.env.TOLLGATE_FUZZ_N ?? 600);

// mulberry32: a small seeded PRNG, so that a failing seed replays exactly.
function prng(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(seed);
const int = (n) => Math.floor(rnd() * n);
const pick = (xs) => xs[int(xs.length)];
const digits = (n) => Array.from({ length: n }, () => String(int(10))).join('');

const alphabets = [
  '0123456789', '0123456789', '2580147369', // digit-heavy, keypad-heavy
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ ',
  'éèçàüößÅØİıЖж中文٣٤', // non-ASCII letters and digits
  '\u0000\u001f"\\/\u2028\ud800\udfff', // control characters, JSON escapes, lone surrogates
];
function text(max) {
  const a = pick(alphabets);
  const n = int(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += a[int(a.length)];
  return s;
}
// An occasional huge value crosses the 64 KiB scratch buffer.
const sized = (max) => (int(50) === 0 ? digits(70000 + int(5000)) : text(max));

function randomRequest(policyHandles, tablesHandle) {
  const policy = pick([undefined, 'cuc', 'cuc-esm', 'cucm', 'exchange-um', 'nist-800-63b-4', ...policyHandles]);
  switch (int(5)) {
    case 0:
    case 1: {
      const context = {};
      if (int(2)) context.extensions = Array.from({ length: 1 + int(3) }, () => digits(2 + int(6)));
      if (int(2)) context.first_name = text(8);
      if (int(2)) context.last_name = text(10);
      if (int(3) === 0) context.dob = `${1950 + int(60)}-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}`;
      if (int(3) === 0) context.year = 2020 + int(10);
      if (int(3) === 0) context.previous = Array.from({ length: int(4) }, () => digits(4 + int(4)));
      return ['pin', { policy, pin: int(3) ? digits(int(14)) : sized(12), context }];
    }
    case 2: {
      const context = {};
      if (int(2)) context.alias = text(10);
      if (int(2)) context.extensions = [digits(4)];
      if (int(3) === 0) context.old = text(14);
      return ['password', { policy, password: sized(20), context }];
    }
    case 3: {
      const table = pick(['Default Transfer', 'Default Outdial', 'Default Fax', 'Default System Transfer', 'Nope']);
      const number = pick([digits(int(16)), '9011' + digits(int(12)), '+' + digits(int(14)), text(12), `9 1 (${digits(3)}) ${digits(3)}-${digits(4)}`]);
      return ['dial', { tables: pick(['default', tablesHandle]), table, number }];
    }
    default: {
      const record = pick(['{SHA}3mR/KmbjQJ6WiDsIVdTtN17mB4k=', '{SSHA}hkkk5gJinCou3WFatvIWPlwCa/0+4Dbz', '{MD5}' + text(20), text(30), '']);
      return ['hash.verify', { record, secret: pick(['408408', text(10)]), fips: int(2) === 0 }];
    }
  }
}

test(`random requests agree byte for byte with the native core (seed ${seed}, ${N} requests)`, async (t) => {
  const tg = await load();
  const pairs = [];
  const responses = [];
  const run = (op, req) => {
    const text = JSON.stringify(req);
    pairs.push([op, text]);
    responses.push(tg.callText(op, text));
  };
  // Loads first, so the random requests can use handles; the native side
  // replays the same sequence on one session.
  run('policy.load', 'exchange-um');
  run('policy.load', { extends: 'cuc', pin: { min_length: 4 } });
  run('tables.load', 'default');
  const policyHandles = [0, 1];
  for (let i = 0; i < N; i++) {
    const [op, req] = randomRequest(policyHandles, 0);
    run(op, req);
  }
  let native;
  try {
    native = JSON.parse(execFileSync('go', ['run', './js/internal/jsgen', 'do'], {
      cwd: root, input: JSON.stringify(pairs), encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['pipe', 'pipe', 'pipe'],
    }));
  } catch (e) {
    if (e.code === 'ENOENT') {
      t.skip(need('go', false, 'https://go.dev/dl/; the native side needs it'));
      return;
    }
    throw new Error(`go run ./js/internal/jsgen do failed: ${e.stderr || e.message}`);
  }
  assert.equal(native.length, pairs.length);
  const diffs = [];
  for (let i = 0; i < pairs.length; i++) {
    if (native[i] !== responses[i]) diffs.push(`#${i} ${pairs[i][0]}: native ${native[i].slice(0, 200)} | node ${responses[i].slice(0, 200)}`);
  }
  // The requests hold random secrets; only the responses (which never
  // contain them) are shown, with the seed that replays the run.
  if (diffs.length) assert.fail(`${diffs.length} of ${pairs.length} differ (TOLLGATE_FUZZ_SEED=${seed}):\n${diffs.slice(0, 5).join('\n')}`);
  const ops = new Set(pairs.map((p) => p[0]));
  const errors = responses.filter((r) => r.startsWith('{"error"')).length;
  t.diagnostic(`ops covered: ${[...ops].join(', ')}; ${errors} error responses`);
  // Agreement on answers, not on refusals: requests the api mostly refused
  // (a generator gone wrong) would agree byte for byte and test nothing.
  for (const op of ['pin', 'password', 'dial', 'hash.verify']) assert.ok(ops.has(op), `no ${op} request was generated`);
  if (N >= 100) assert.ok(errors < responses.length / 4, `${errors} of ${responses.length} responses are errors`);
  assert.ok(responses.some((r) => r.includes('"accepted":true')) && responses.some((r) => r.includes('"accepted":false')), 'verdicts of both kinds');
});
