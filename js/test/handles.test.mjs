// Engine handles (docs/abi.md, "Handles across instances"; docs/js.md):
// the handles loadPolicy and loadTables answer are the Tollgate's, found
// by the document's text, counted per load, and translated into the
// instance's own; an instance loads a document when a call first needs it,
// so a replaced instance (a panic, a trap, the memory cap) starts empty and
// loads only what its calls need. Everything runs the real module; the
// sequences are held byte for byte to the Go wasm engine (go run
// ./js/internal/jsgen wasm) and to the native core (jsgen do).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { load, TollgateError } from '../tollgate.js';
import { root } from './corpus.mjs';
import { need } from './env.mjs';

// jsgen runs [op, request text] pairs through js/internal/jsgen in mode
// ('do': one native api.Session; 'wasm': the Go host's wasm engine).
function jsgen(t, mode, pairs) {
  try {
    return JSON.parse(execFileSync('go', ['run', './js/internal/jsgen', mode], {
      cwd: root, input: JSON.stringify(pairs), encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'pipe'],
    }));
  } catch (e) {
    if (e.code === 'ENOENT') {
      t.skip(need('go', false, 'https://go.dev/dl/; the Go side needs it'));
      return null;
    }
    throw new Error(`go run ./js/internal/jsgen ${mode} failed: ${e.stderr || e.message}`);
  }
}

// run answers pairs in JS as jsgen does: callText, and ["fault", kind]
// through debugFault, answered {"fault": code}.
function run(tg, pairs) {
  return pairs.map(([op, text]) => {
    if (op !== 'fault') return tg.callText(op, text);
    try {
      tg.debugFault(Number(text));
      return '';
    } catch (e) {
      if (!(e instanceof TollgateError)) throw e;
      return JSON.stringify({ fault: e.code });
    }
  });
}

const policyDoc = (n) => JSON.stringify({ extends: 'cuc', pin: { min_length: n } });
const tablesDoc = JSON.stringify({ tables: [{ name: 'r', rows: [{ pattern: '9011*', blocked: true }, { pattern: '*', blocked: false }] }] });

test('the same document loaded twice is the same handle, and the second load never reaches the module', async () => {
  const tg = await load();
  const a = tg.loadPolicy({ extends: 'cuc', pin: { min_length: 8 } });
  const calls = tg.stats.calls;
  assert.deepEqual(tg.loadPolicy({ extends: 'cuc', pin: { min_length: 8 } }), a);
  // The document's text, trimmed as Go's bytes.TrimSpace trims it (U+00A0
  // included), and a name by its value: the keys api.Session uses.
  assert.equal(tg.callText('policy.load', ` \n${JSON.stringify({ extends: 'cuc', pin: { min_length: 8 } })}\u00a0`), JSON.stringify(a));
  const cuc = tg.loadPolicy('cuc');
  assert.equal(tg.callText('policy.load', '"\\u0063uc"'), JSON.stringify(cuc));
  const t = tg.loadTables('default');
  assert.deepEqual(tg.loadTables('default'), t);
  assert.equal(tg.stats.calls, calls + 2, 'only the two first loads of new documents called the module');
  assert.deepEqual([a.handle, cuc.handle, t.handle], [0, 1, 2]);
  assert.equal(tg.stats.documents, 3);
  // Another document, or the same text as the other kind, is another handle.
  assert.equal(tg.loadPolicy({ extends: 'cuc', pin: { min_length: 9 } }).handle, 3);
  assert.equal(tg.call('tables.load', 'cuc').error.code, 'invalid_tables');
  // A refused load uses up no handle.
  assert.equal(tg.call('policy.load', 'nope').error.code, 'invalid_policy');
  assert.equal(tg.loadTables(JSON.parse(tablesDoc)).handle, 4);
});

test('unload counts loads; then the handle is unknown, with the api\'s errors', async () => {
  const tg = await load();
  const { handle } = tg.loadTables(JSON.parse(tablesDoc));
  tg.loadTables(JSON.parse(tablesDoc)); // two loads
  const blocked = { tables: handle, table: 'r', number: '9011441234' };
  tg.unload(handle);
  assert.equal(tg.dial(blocked.number, blocked).allowed, false, 'one load is left');
  assert.equal(tg.stats.resident, 1);
  assert.equal(tg.callText('unload', JSON.stringify({ handle })), '{}');
  assert.equal(tg.stats.resident, 1, 'the instance drops the document when it next runs a call');
  assert.equal(tg.callText('dial', JSON.stringify(blocked)),
    `{"error":{"code":"bad_request","message":"no loaded tables with handle ${handle}","field":"tables"}}`);
  assert.equal(tg.stats.resident, 0);
  assert.throws(() => tg.dial(blocked.number, blocked), (e) => e instanceof TollgateError && e.code === 'bad_request' && e.field === 'tables' &&
    e.message === `bad_request: tables: no loaded tables with handle ${handle}`);
  assert.throws(() => tg.unload(handle), (e) => e.code === 'bad_request' && e.field === 'handle' && e.message.endsWith(`no loaded document with handle ${handle}`));
  assert.throws(() => tg.dialer(handle, 'r'), (e) => e.code === 'no_handle' && e.field === 'tables');
  // Handles are never reused: the same document loaded again is a new one.
  assert.equal(tg.loadTables(JSON.parse(tablesDoc)).handle, handle + 1);
  // unload's own request errors are the module's.
  assert.throws(() => tg.unload(1.5), (e) => e.code === 'bad_request' && e.message.includes('1.5 is not a whole number'));
  assert.throws(() => tg.unload(-1), (e) => e.code === 'bad_request' && e.message.includes('handle out of range'));
});

test('after a panic the next call on a handle works, and only its document is loaded into the new instance', async () => {
  const tg = await load();
  const p = tg.loadPolicy({ extends: 'cuc', pin: { min_length: 8 } }).handle;
  const t = tg.loadTables(JSON.parse(tablesDoc)).handle;
  const q = tg.loadPolicy('exchange-um').handle;
  const before = tg.callText('dial', JSON.stringify({ tables: t, table: 'r', number: '9011441234' }));
  assert.equal(tg.stats.resident, 3);
  assert.throws(() => tg.debugFault(1), (e) => e.code === 'panic');
  const s = tg.stats;
  assert.equal(s.resident, 0, 'a replaced instance starts empty');
  assert.equal(tg.callText('dial', JSON.stringify({ tables: t, table: 'r', number: '9011441234' })), before);
  assert.equal(tg.stats.resident, 1, 'only the dial\'s tables were loaded');
  assert.equal(tg.stats.loads, s.loads + 1);
  assert.equal(tg.stats.calls, s.calls + 2, 'one load, one dial');
  assert.equal(tg.checkPin('1234567', {}, { policy: p }).reasons[0].code, 'too_short');
  assert.equal(tg.stats.resident, 2);
  assert.equal(tg.stats.documents, 3, 'q stays loaded, in no instance until a call needs it');
  assert.equal(typeof tg.checkPin('1234', {}, { policy: q }).accepted, 'boolean');
});

test('after a real trap (the memory cap) the dialer and the handles work in the new instance', async () => {
  const tg = await load({ memoryLimit: 128 << 20 }); // the Go host's default cap
  const t = tg.loadTables('default').handle;
  const dial = tg.dialer(t, 'Default Transfer');
  const byDefault = tg.dialer(t); // the set's default table, as a dial naming none
  assert.equal(dial('9011441234567').allowed, false);
  assert.throws(() => tg.debugFault(2), (e) => e.code === 'trap');
  assert.equal(tg.stats.instances, 2);
  assert.equal(dial('9011441234567').allowed, false, 'the dialer loads its tables into the new instance');
  assert.equal(dial('4085551234').allowed, true);
  const want = tg.dial('9011441234567', { tables: t });
  assert.deepEqual(byDefault('9011441234567'), { allowed: want.allowed, reason: want.reason, normalized: false, alt: 0, row: want.row });
  tg.unload(t);
  assert.throws(() => dial('9011441234567'), (e) => e.code === 'no_handle' && e.message.includes(`no loaded tables with handle ${t}`));
});

test('documents that cannot all fit in one instance each still work', async () => {
  // 16 MiB: the module starts in 8; twenty tables of 1,500 rows need more
  // than what is left (no data artifact is read: none takes memory).
  const tg = await load({ memoryLimit: 16 << 20 });
  const docs = [];
  for (let k = 0; k < 20; k++) {
    const rows = [];
    for (let i = 0; i < 1500; i++) rows.push({ pattern: `9${String((i * 7919 + k * 104729) % 1e7).padStart(7, '0')}*`, blocked: true });
    rows.push({ pattern: '*', blocked: false });
    docs.push({ name: `t${k}`, blocked: `${rows[k].pattern.slice(0, -1)}55`, row: k, doc: { tables: [{ name: `t${k}`, rows }] } });
  }
  const handles = docs.map((d) => tg.loadTables(d.doc).handle);
  assert.deepEqual(handles, docs.map((_, k) => k), 'every load worked, in order');
  assert.ok(tg.stats.instances > 1, `the cap was never reached (${JSON.stringify(tg.stats)}): the test proves nothing`);
  // Each handle, in an order that makes instances load them again.
  for (const k of [19, 0, 18, 1, 17, 2, 16, 3, 15, 4, 14, 5, 13, 6, 12, 7, 11, 8, 10, 9, 0, 19]) {
    const r = tg.dial(docs[k].blocked, { tables: handles[k], table: docs[k].name });
    assert.deepEqual([r.allowed, r.reason, r.row], [false, 'matched', docs[k].row], `tables ${k}`);
  }
  assert.ok(tg.stats.resident < docs.length, JSON.stringify(tg.stats));
});

test('handles agree with the Go wasm engine and the native core: loads, unloads, errors, faults', async (t) => {
  const pairs = [];
  // Twelve policies, so that engine and instance handles differ in digits
  // once an instance is replaced (error offsets must be the caller's).
  for (let n = 4; n < 16; n++) pairs.push(['policy.load', policyDoc(n)]);
  pairs.push(
    ['policy.load', '"cuc"'], ['policy.load', ' "cuc" '], ['policy.load', '"\\u0063uc"'], ['policy.load', `\n${policyDoc(8)}  `],
    ['tables.load', '"default"'], ['tables.load', tablesDoc], ['policy.load', '"nope"'], ['tables.load', '{"tables":[{"name":"x","rows":[{"pattern":"9[","blocked":true}]}]}'],
    ['pin', '{"policy":1,"pin":"1234"}'], ['pin', '{"pin":"1234","policy":-0}'], ['pin', '{"policy":13,"pin":"1234"}'], ['pin', '{"policy":99,"pin":"1234"}'],
    ['pin', '{"policy":99}'], ['pin', '{"policy":99,"pin":"\\ud800"}'], ['pin', '{"policy":99,"pin":"1"} x'], ['pin', '{"policy":1.0,"pin":"1"}'],
    ['pin', '{"\\u0070olicy":2,"pin":"123456"}'], ['password', '{"policy":12,"password":"Lovelace1815!"}'],
    ['dial', `{"tables":14,"number":"9011441234"}`], ['dial', '{"tables":0,"number":"1"}'], ['lint', '{"tables":14}'],
    ['hash.verify', '{"policy":12,"record":"{SHA}3mR/KmbjQJ6WiDsIVdTtN17mB4k=","secret":"408408"}'],
    ['unload', '{"handle":12}'], ['unload', '{"handle":12}'], ['pin', '{"policy":12,"pin":"1234"}'], ['unload', '{"handle":12}'],
    ['pin', '{"policy":12,"pin":"1234"}'], ['unload', '{"handle":12}'], ['unload', '{"handle":-1}'], ['unload', '{"handle":"1"}'],
    ['unload', '{"handle":1,"x":2}'], ['unload', 'null'], ['unload', '{"handle":4294967296}'], ['unload', '{"handle":1,"handle":1}'],
    ['unload', '{"\\u0068andle":3}'], ['pin', '{"policy":3,"pin":"1234"}'], ['unload', '{}'], ['unload', '{"handle":null}'],
    ['policy.load', '"cuc"'], ['unload', '{"handle":1} '], ['dial', '{"tables":1,"number":"1"}'],
    ['fault', '1'],
    ['dial', '{"tables":14,"number":"9011441234"}'], ['pin', '{"policy":15,"pin":"\\ud800"}'], ['pin', '{"policy":11,"pin":"\\ud800"}'],
  );
  // After the panic the instance loads 11, 10, ..., 4 as these ask: the
  // last ones get instance handles of two digits for engine handles of one.
  for (let h = 10; h >= 2; h--) if (h !== 3) pairs.push(['pin', `{"policy":${h},"pin":"\\ud800","context":{}}`]);
  pairs.push(
    ['pin', '{"policy":2,"pin":"12345"}'], ['fault', '2'], ['pin', '{"policy":2,"pin":"12345"}'],
    ['dial', '{"tables":13,"table":"Default Transfer","number":"9011441234567"}'], ['policy.load', policyDoc(8)], ['pin', '{"policy":1,"pin":"1"}'],
  );
  const tg = await load({ memoryLimit: 128 << 20 });
  const js = run(tg, pairs);
  const go = jsgen(t, 'wasm', pairs);
  if (go === null) return;
  const diffs = [];
  for (let i = 0; i < pairs.length; i++) if (go[i] !== js[i]) diffs.push(`#${i} ${pairs[i][0]} ${pairs[i][1].slice(0, 80)}\n  go: ${go[i]}\n  js: ${js[i]}`);
  assert.equal(diffs.length, 0, `${diffs.length} answers differ from the Go wasm engine:\n${diffs.slice(0, 8).join('\n')}`);
  // The native core (one session, no instances) answers the same, faults aside.
  const plain = pairs.filter(([op]) => op !== 'fault');
  const native = jsgen(t, 'do', plain);
  const mine = js.filter((_, i) => pairs[i][0] !== 'fault');
  for (let i = 0; i < plain.length; i++) assert.equal(mine[i], native[i], `#${i} ${plain[i][0]} ${plain[i][1].slice(0, 80)}`);
  assert.ok(js.some((r) => r.includes('lone UTF-16 surrogate at byte')), 'the offset cases ran');
  assert.ok(tg.stats.instances >= 3, JSON.stringify(tg.stats));
});

test('memoryLimit caps the module\'s memory, and refuses what cannot work', async () => {
  const tg = await load({ memoryLimit: 32 << 20 });
  assert.equal(tg.checkPin('2580').accepted, false);
  assert.throws(() => tg._mem.grow(512), RangeError, 'memory grew past 32 MiB');
  await assert.rejects(load({ memoryLimit: 1 << 20 }), (e) => e.code === 'bad_option' && /needs \d+ pages/.test(e.message));
  await assert.rejects(load({ memoryLimit: 1000 }), (e) => e.code === 'bad_option' && e.field === 'memoryLimit');
  const compiled = tg.module;
  await assert.rejects(load({ module: compiled, memoryLimit: 32 << 20 }), (e) => e.code === 'bad_option' && e.message.includes('WebAssembly.Module'));
});
