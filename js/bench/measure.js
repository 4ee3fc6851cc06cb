// Measurements shared by Node (bench.mjs) and Chromium (the browser test):
// compile, instantiate + _initialize, and the cost of one call from JS.
// Medians of several runs; numbers for docs/performance.md, never asserted.

import { load } from '../tollgate.js';

// The requests of the per-call figures; the Go side (js/internal/jsgen
// BenchmarkCall) sends the same bytes.
export const requests = {
  pin: '{"pin":"730196","context":{"extensions":["4021"],"first_name":"Ada","last_name":"Lovelace"}}',
  password: '{"password":"Lovelace1815!","context":{"alias":"alovelace","extensions":["4021"]}}',
  dial: '{"table":"Default Transfer","number":"9011441234567"}',
};

// A regex table like 'Default Transfer' (js/internal/jsgen BenchmarkDialRegex
// loads the same document): international and premium blocked, the rest
// allowed.
export const regexTables = JSON.stringify({ tables: [{ name: 'Regex Transfer', dialect: 'regex', min_digits: 1, max_digits: 30, rows: [
  { pattern: '^9011', blocked: true }, { pattern: '^91?900', blocked: true }, { pattern: '^91?976', blocked: true },
  { pattern: '^9[2-9]\\d{6}$', blocked: false }, { pattern: '^\\d{4}$', blocked: false }, { pattern: '.', blocked: true },
] }] });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Times fn over n runs and returns the median in milliseconds. */
async function timeMs(n, fn) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

// perCall returns nanoseconds per call of fn: the best of rounds of batches
// sized to last about 50 ms. Best, not median: on a shared machine the
// other processes only ever add time.
function perCall(fn, rounds = 7) {
  // Warm up first: V8 compiles wasm functions lazily with a baseline
  // compiler and tiers hot ones up later.
  const warm = performance.now();
  while (performance.now() - warm < 300) fn();
  let n = 100;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const ms = performance.now() - t0;
    if (ms > 50) break;
    n *= 2;
  }
  const xs = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    xs.push(((performance.now() - t0) * 1e6) / n);
  }
  return Math.min(...xs);
}

/** Runs every measurement on the module bytes; returns a plain object. */
export async function measure(bytes) {
  const compileMs = await timeMs(5, () => WebAssembly.compile(bytes));
  const module = await WebAssembly.compile(bytes);
  const instantiateMs = await timeMs(5, () => load({ module }));
  const tg = await load({ module });
  const out = { bytes: bytes.byteLength, compileMs, instantiateMs, callNs: {} };
  for (const [op, req] of Object.entries(requests)) {
    out.callNs[`${op} callText`] = perCall(() => tg.callText(op, req));
  }
  const ctx = JSON.parse(requests.pin).context;
  out.callNs['checkPin (objects)'] = perCall(() => tg.checkPin('730196', ctx));
  const pctx = JSON.parse(requests.password).context;
  out.callNs['checkPassword (objects)'] = perCall(() => tg.checkPassword('Lovelace1815!', pctx));
  const { handle } = tg.loadTables('default');
  const match = tg.dialer(handle, 'Default Transfer');
  out.callNs['dialer (scalar export)'] = perCall(() => match('9011441234567'));
  out.callNs['unknown op (boundary only)'] = perCall(() => tg.callText('x', '{}'));
  // Regular expressions cross to the regex module once per row tried:
  // the same number through a regex table, by JSON and by the scalar export.
  const rt0 = performance.now();
  await tg.enableRegex();
  out.regexEnableMs = +(performance.now() - rt0).toFixed(1);
  const rh = tg.callText('tables.load', regexTables);
  const rhandle = JSON.parse(rh).handle;
  out.callNs['regex dial callText (row 0 decides)'] = perCall(() => tg.callText('dial', `{"tables":${rhandle},"table":"Regex Transfer","number":"9011441234567"}`));
  out.callNs['regex dial callText (row 5 decides)'] = perCall(() => tg.callText('dial', `{"tables":${rhandle},"table":"Regex Transfer","number":"5551234567890"}`));
  const rmatch = tg.dialer(rhandle, 'Regex Transfer');
  out.callNs['regex dialer (row 0 decides)'] = perCall(() => rmatch('9011441234567'));
  out.callNs['regex dialer (row 5 decides)'] = perCall(() => rmatch('5551234567890'));
  for (const k of Object.keys(out.callNs)) out.callNs[k] = Math.round(out.callNs[k]);
  out.compileMs = +compileMs.toFixed(1);
  out.instantiateMs = +instantiateMs.toFixed(1);
  return out;
}
