// The host side of the module's regex imports (regex.js): verdicts of the
// regex dialect equal the native Go core's byte for byte, .NET-style
// semantics and compile errors included; the loading policy (regex: 'auto',
// true, false); per-instance ids that survive a replaced main instance and a
// replaced regex instance; and the limit on distinct patterns.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { load, abi, TollgateError } from '../tollgate.js';
import { msgNotLoaded, msgDisabled } from '../regex.js';
import { root } from './corpus.mjs';
import { need } from './env.mjs';

const seed = Number(process.env.TOLLGATE_FUZZ_SEED ?? Date.now() % 1e9);

function prng(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const table = (rows, extra = {}) => ({ tables: [{ name: 'r', dialect: 'regex', min_digits: 1, max_digits: 30, ...extra, rows }] });

// Patterns where regexp2 and JS RegExp part ways, or that do not compile.
const patterns = [
  '^9011', '^9[2-9]\\d{9}$', '^(?<cc>1)?900', '(?<=9)011', '^\\d+$', '(?i)^9X', '^9(?!1)\\d+$', '^(\\d)\\1',
  '^[', '(?<n>', 'a{2,1}', '\\p{Nope}', '^9\\d{2,}?$', '^(?>9+)9', '\\A9\\z', '^9.*(?#comment)1$', '^é',
];
const numbers = ['9011441234', '92125551234', '1900555', '9011', '١٢٣', '9x', '9255', '77', '99', '9', '91', 'é9'];

// native runs [op, request text] pairs through api.Session.Do in Go.
function native(t, pairs) {
  try {
    return JSON.parse(execFileSync('go', ['run', './js/internal/jsgen', 'do'], {
      cwd: root, input: JSON.stringify(pairs), encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'pipe'],
    }));
  } catch (e) {
    if (e.code === 'ENOENT') {
      t.skip(need('go', false, 'https://go.dev/dl/; the native side needs it'));
      return null;
    }
    throw new Error(`go run ./js/internal/jsgen do failed: ${e.stderr || e.message}`);
  }
}

test(`regex tables agree byte for byte with the native core (seed ${seed})`, async (t) => {
  const tg = await load();
  const rnd = prng(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const pairs = [];
  const got = [];
  const run = (op, req) => {
    const text = JSON.stringify(req);
    pairs.push([op, text]);
    got.push(tg.callText(op, text));
  };
  // Every pattern alone (compile errors included), loaded and inline.
  for (const p of patterns) {
    run('tables.load', table([{ pattern: p, blocked: true }, { pattern: '.', blocked: false }]));
    for (const n of numbers) run('dial', { tables: table([{ pattern: p, blocked: true }, { pattern: '.', blocked: false }]), table: 'r', number: n });
    run('lint', { tables: table([{ pattern: p, blocked: true }]) });
  }
  // Random tables of several rows, then dials by handle.
  for (let i = 0; i < 40; i++) {
    const rows = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ pattern: pick(patterns), blocked: rnd() < 0.5 }));
    run('tables.load', table(rows, { no_match: pick(['blocked', 'allowed']) }));
    const h = JSON.parse(got[got.length - 1]).handle;
    if (h !== undefined) for (let k = 0; k < 4; k++) run('dial', { tables: h, table: 'r', number: pick(numbers) });
  }
  const want = native(t, pairs);
  if (!want) return;
  const diffs = [];
  for (let i = 0; i < pairs.length; i++) {
    if (want[i] !== got[i]) diffs.push(`#${i} ${pairs[i][0]} ${pairs[i][1].slice(0, 120)}\n  native ${want[i].slice(0, 240)}\n  node   ${got[i].slice(0, 240)}`);
  }
  if (diffs.length) assert.fail(`${diffs.length} of ${pairs.length} differ (TOLLGATE_FUZZ_SEED=${seed}):\n${diffs.slice(0, 5).join('\n')}`);
  assert.ok(got.some((r) => r.includes('"reason":"matched"')), 'some regex row decided');
  assert.ok(got.some((r) => r.includes('invalid_tables')), 'some pattern failed to compile');
});

test("regex: false refuses regex rows with a message that says why, and enableRegex rejects", async () => {
  const tg = await load({ regex: false });
  const r = tg.call('tables.load', table([{ pattern: '^9', blocked: true }]));
  assert.equal(r.error.code, 'invalid_tables');
  assert.ok(r.error.message.includes(msgDisabled), r.error.message);
  await assert.rejects(tg.enableRegex(), (e) => e instanceof TollgateError && e.code === 'bad_option');
  assert.equal(tg._regex.loads, 0, 'nothing was read');
  // Tables without regex rows are unaffected.
  assert.ok(tg.loadTables('default').handle >= 0);
});

test("regex: 'auto' with a module that cannot load synchronously: a message says how, the async entry points load it", async () => {
  // A fetch Response stands for a browser's URL: it cannot be read inside a
  // synchronous import.
  const bytes = readFileSync(new URL('../../wasm/regex.wasm', import.meta.url));
  let fetched = 0;
  const regexModule = {
    then(resolve) {
      fetched++;
      resolve(new Response(bytes, { headers: { 'content-type': 'application/wasm' } }));
    },
  };
  const tg = await load({ regexModule });
  assert.equal(tg.regexReady, false);
  const doc = table([{ pattern: '(?<=9)011', blocked: true }, { pattern: '.', blocked: false }]);
  const r = tg.call('tables.load', doc);
  assert.ok(r.error.message.includes(msgNotLoaded), r.error.message);
  assert.equal(fetched, 0, 'a document without the async entry point downloads nothing');
  // Tables without regex rows load without it, through the async entry too.
  await tg.loadTablesAsync('default');
  assert.equal(fetched, 0, 'no regex rows, no download');
  const { handle } = await tg.loadTablesAsync(doc);
  assert.equal(fetched, 1);
  assert.equal(tg.regexReady, true);
  assert.equal(tg.dial('9011', { tables: handle, table: 'r' }).allowed, false);
  assert.equal((await tg.dialAsync('8011', { tables: doc, table: 'r' })).allowed, true);
  await tg.enableRegex();
  assert.equal(fetched, 1, 'loaded once');
});

test('regex: true loads the module with the main one; Node auto reads it on first use only', async () => {
  const eager = await load({ regex: true });
  assert.equal(eager.regexReady, true);
  const lazy = await load();
  assert.equal(lazy.regexReady, false);
  lazy.checkPin('2580');
  lazy.loadTables('default');
  assert.equal(lazy._regex.loads, 0, 'no regex, no read');
  lazy.loadTables(table([{ pattern: '^9', blocked: true }]));
  assert.equal(lazy._regex.loads, 1);
  assert.equal(lazy.regexReady, true);
});

test('ids per main instance survive a replaced main instance and a replaced regex instance', async () => {
  const tg = await load();
  const { handle } = tg.loadTables(table([{ pattern: '(?<=9)011', blocked: true }, { pattern: '.', blocked: false }]));
  const dial = tg.dialer(handle, 'r');
  assert.equal(dial('9011').allowed, false);
  // A panicked main instance is replaced; the next call loads the tables
  // into the new one, which gets its own ids for the same patterns.
  assert.throws(() => tg.debugFault(abi.fault.PANIC), (e) => e.code === 'panic');
  assert.equal(tg.dial('9011', { tables: handle, table: 'r' }).allowed, false);
  assert.equal(tg.dial('8011', { tables: handle, table: 'r' }).allowed, true);
  // A regex instance that goes away (a trap there) is replaced on the next
  // match, and the patterns compile again in it.
  const gen = tg._regex.gen;
  tg._regex.inst = null;
  assert.equal(tg.dial('9011', { tables: handle, table: 'r' }).allowed, false);
  assert.equal(tg._regex.gen, gen + 1);
});

test('the same pattern compiles once; the per-instance limit is a load error, then the instance starts over', async () => {
  const tg = await load();
  const first = tg.loadTables(table([{ pattern: '^9011', blocked: true }, { pattern: '.', blocked: false }])).handle;
  for (let i = 0; i < 2; i++) tg.loadTables(table([{ pattern: '^9011', blocked: true }, { pattern: '.', blocked: false }]));
  assert.equal(tg._regex.count, 2);
  const max = abi.regexModule.MAX_PER_INSTANCE;
  const rows = Array.from({ length: max + 1 }, (_, i) => ({ pattern: `^${i}x`, blocked: true }));
  const before = tg.stats.instances;
  const r = tg.call('tables.load', table(rows));
  assert.equal(r.error.code, 'invalid_tables');
  assert.ok(r.error.message.includes(`more than ${max} distinct regular expressions`), r.error.message);
  // The limit in a used instance may be what that instance held: the load
  // ran once more on a fresh one, which reached it too (two instances
  // spent). The instance then starts over, empty, and loads what its calls
  // need, so earlier and later documents work.
  assert.equal(tg.stats.instances, before + 2, 'the load was tried once more on a fresh instance');
  assert.equal(tg._rtable.entries.length, 0, 'a fresh instance holds nothing until a call needs it');
  assert.equal(tg.dial('9011', { tables: first, table: 'r' }).allowed, false);
  assert.equal(tg._rtable.entries.length, 2, 'the dial loaded its own tables, and only them');
  const { handle } = tg.loadTables(table([{ pattern: '^7', blocked: true }, { pattern: '.', blocked: false }]));
  assert.equal(tg.dial('71', { tables: handle, table: 'r' }).allowed, false);
});

test('compile errors never show the number, and a regex verdict names no input', async () => {
  const tg = await load();
  const secretish = '90114412345678';
  const res = tg.callText('dial', JSON.stringify({ tables: table([{ pattern: '^[', blocked: true }]), table: 'r', number: secretish }));
  assert.ok(!res.includes(secretish));
});
