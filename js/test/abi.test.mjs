// The ABI constants mirrored in abi.js against Go's, through the golden
// internal/abi/abi.json that Go's own test keeps equal to the Go constants.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as abi from '../abi.js';

const golden = JSON.parse(readFileSync(new URL('../../internal/abi/abi.json', import.meta.url), 'utf8'));
const wasm = readFileSync(new URL('../../wasm/tollgate.wasm', import.meta.url));

test('version', () => assert.equal(abi.VERSION, golden.version));

test('export names', () => {
  assert.deepEqual(Object.values(abi.exports).sort(), Object.keys(golden.exports).sort());
});

test('status codes and their names', () => {
  const js = {
    ok: abi.status.OK, op_error: abi.status.OP_ERROR, bad_args: abi.status.BAD_ARGS,
    too_large: abi.status.TOO_LARGE, panic: abi.status.PANIC, no_handle: abi.status.NO_HANDLE,
  };
  assert.deepEqual(js, golden.status);
  for (const [name, code] of Object.entries(golden.status)) assert.equal(abi.statusNames[code], name);
  assert.equal(abi.statusNames.length, Object.keys(golden.status).length);
});

test('fault kinds', () => {
  assert.deepEqual({ panic: abi.fault.PANIC, memory: abi.fault.MEMORY }, golden.faults);
});

test('limits and call packing', () => {
  assert.deepEqual({ initial_buf: abi.INITIAL_BUF, len_bits: abi.LEN_BITS, max_buf: abi.MAX_BUF }, golden.limits);
  assert.deepEqual(abi.unpackCall((3 << 24) | 1234), [3, 1234]);
  assert.deepEqual(abi.unpackCall(abi.MAX_BUF), [0, abi.MAX_BUF]);
});

test('dial packing and reason names', () => {
  assert.deepEqual({
    allowed_bit: abi.dial.ALLOWED_BIT, normalized_bit: abi.dial.NORMALIZED_BIT, reason_mask: abi.dial.REASON_MASK,
    reason_shift: abi.dial.REASON_SHIFT, alt_shift: abi.dial.ALT_SHIFT, alt_mask: abi.dial.ALT_MASK,
    row_shift: abi.dial.ROW_SHIFT, max_row: abi.dial.MAX_ROW,
  }, golden.dial);
  const names = ['MATCHED', 'TOO_SHORT', 'TOO_LONG', 'INVALID', 'NO_MATCH', 'TIMEOUT'];
  names.forEach((n, i) => assert.equal(abi.dial[n], i, n));
  for (const [k, name] of Object.entries(golden.dial_reasons)) assert.equal(abi.dialReasonNames[+k], name);
  assert.equal(abi.dialReasonNames.length, Object.keys(golden.dial_reasons).length);
  // allowed, too_long, normalized, alt 3, row 41 (stored as 42)
  const r = 1 | (2 << 1) | 16 | (3 << 5) | (42 << 12);
  assert.deepEqual(abi.unpackDial(r), { allowed: true, reason: 'too_long', normalized: true, alt: 3, row: 41 });
  assert.equal(abi.unpackDial((abi.dial.MAX_ROW + 1) << abi.dial.ROW_SHIFT).row, abi.dial.MAX_ROW, 'the largest row fits in an i32');
  assert.equal(abi.unpackDial(0).row, -1);
});

test('the committed module exports what the ABI names, with the documented arity', async () => {
  const module = await WebAssembly.compile(wasm);
  const have = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  assert.equal(have.get('memory'), 'memory');
  const required = ['_initialize', 'abi_version', 'buf_ptr', 'buf_cap', 'buf_reserve', 'call', 'fault'];
  for (const name of required) assert.equal(have.get(name), 'function', `module lacks export ${name}`);
  for (const [name, kind] of have) {
    if (kind === 'function') assert.ok(name in golden.exports, `module exports ${name}, which abi.json does not document`);
  }
  // Arity, checked on a live instance (a function's length is its parameter count).
  const { WASI } = await import('../wasi.js');
  const w = new WASI();
  const tollgate_host = { regex_compile: () => -1, regex_match: () => abi.regex.NO_ID };
  const inst = await WebAssembly.instantiate(module, { ...w.importObject, [abi.IMPORT_MODULE]: tollgate_host });
  for (const [name, kind] of have) {
    if (kind === 'function') assert.equal(inst.exports[name].length, golden.exports[name].params.length, `${name} arity`);
  }
});

test('host imports and regex results', async () => {
  assert.deepEqual(Object.values(abi.imports).sort(), Object.keys(golden.imports).sort());
  for (const imp of Object.values(golden.imports)) assert.equal(imp.module, abi.IMPORT_MODULE);
  assert.deepEqual({
    no_match: abi.regex.NO_MATCH, match: abi.regex.MATCH, timeout: abi.regex.TIMEOUT,
    no_id: abi.regex.NO_ID, timeout_ms: abi.regex.TIMEOUT_MS,
  }, golden.regex);
  // The committed module imports exactly these, with the documented arity.
  const module = await WebAssembly.compile(wasm);
  const host = WebAssembly.Module.imports(module).filter((x) => x.module === abi.IMPORT_MODULE).map((x) => x.name).sort();
  assert.deepEqual(host, Object.keys(golden.imports).sort());
  const { RegexTable, RegexEngine } = await import('../regex.js');
  const fns = new RegexTable(new RegexEngine()).imports();
  for (const [name, imp] of Object.entries(golden.imports)) assert.equal(fns[name].length, imp.params.length, `${name} arity`);
});

test('the regex module mirror matches internal/abi/regexmod.json and wasm/regex.wasm', async () => {
  const g = JSON.parse(readFileSync(new URL('../../internal/abi/regexmod.json', import.meta.url), 'utf8'));
  assert.equal(abi.regexModule.VERSION, g.version);
  assert.equal(abi.regexModule.FILE, g.file);
  assert.equal(abi.regexModule.MAX_PATTERNS, g.max_patterns);
  assert.equal(abi.regexModule.MAX_PER_INSTANCE, g.max_per_instance);
  assert.deepEqual({ ...abi.regexModule.exports }, g.exports);
  const module = await WebAssembly.compile(readFileSync(new URL(`../../${g.file}`, import.meta.url)));
  const have = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name).sort();
  assert.deepEqual(have, Object.values(g.exports).sort());
  for (const imp of WebAssembly.Module.imports(module)) assert.equal(imp.module, 'wasi_snapshot_preview1');
});
