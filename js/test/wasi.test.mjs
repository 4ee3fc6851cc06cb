// The WASI shim: each import on a memory of our own (exact bytes written,
// errno answers, never a throw), then against the committed module.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WASI, WasiExit, errno, PREVIEW1_FUNCTIONS } from '../wasi.js';

const wasmPath = new URL('../../wasm/tollgate.wasm', import.meta.url);

function shim(options) {
  const w = new WASI(options);
  w.memory = new WebAssembly.Memory({ initial: 1 });
  const dv = () => new DataView(w.memory.buffer);
  return { w, i: w.imports, dv };
}

test('clocks: realtime is the wall clock, monotonic never goes back', () => {
  const { i, dv } = shim();
  assert.equal(i.clock_time_get(0, 0n, 64), errno.SUCCESS);
  const wall = Number(dv().getBigUint64(64, true) / 1000000n);
  assert.ok(Math.abs(wall - Date.now()) < 1000, `realtime ${wall} vs Date.now ${Date.now()}`);
  let prev = 0n;
  for (let k = 0; k < 1000; k++) {
    assert.equal(i.clock_time_get(1, 0n, 64), errno.SUCCESS);
    const t = dv().getBigUint64(64, true);
    assert.ok(t >= prev, 'monotonic clock went back');
    prev = t;
  }
  assert.equal(i.clock_time_get(9, 0n, 64), errno.INVAL);
  assert.equal(i.clock_res_get(1, 72), errno.SUCCESS);
  assert.equal(dv().getBigUint64(72, true), 1000n);
});

test('random_get fills the whole range, beyond one getRandomValues chunk', () => {
  const { i, w } = shim();
  const n = 65536 + 100; // more than the 64 KiB a single getRandomValues accepts
  w.memory.grow(1);
  assert.equal(i.random_get(16, n), errno.SUCCESS);
  const bytes = new Uint8Array(w.memory.buffer, 16, n);
  const tail = bytes.subarray(n - 100);
  assert.ok(tail.some((b) => b !== 0), 'the bytes past the first chunk were not filled');
  assert.equal(new Uint8Array(w.memory.buffer)[15], 0, 'wrote before the range');
  assert.equal(new Uint8Array(w.memory.buffer)[16 + n], 0, 'wrote past the range');
});

test('the environment is what the options say, as KEY=VALUE\\0 strings', () => {
  const { i, w, dv } = shim({ env: { GOGC: 'off', GOMEMLIMIT: '1610612736' } });
  assert.equal(i.environ_sizes_get(0, 4), errno.SUCCESS);
  const want = 'GOGC=off\0GOMEMLIMIT=1610612736\0';
  assert.deepEqual([dv().getUint32(0, true), dv().getUint32(4, true)], [2, want.length]);
  assert.equal(i.environ_get(100, 200), errno.SUCCESS);
  assert.deepEqual([dv().getUint32(100, true), dv().getUint32(104, true)], [200, 200 + 'GOGC=off\0'.length]);
  assert.equal(new TextDecoder().decode(new Uint8Array(w.memory.buffer, 200, want.length)), want);
});

test('args and environment are empty by default', () => {
  const { i, dv } = shim();
  dv().setUint32(0, 7, true);
  dv().setUint32(4, 7, true);
  assert.equal(i.args_sizes_get(0, 4), errno.SUCCESS);
  assert.deepEqual([dv().getUint32(0, true), dv().getUint32(4, true)], [0, 0]);
  assert.equal(i.environ_sizes_get(0, 4), errno.SUCCESS);
  assert.deepEqual([dv().getUint32(0, true), dv().getUint32(4, true)], [0, 0]);
});

test('fd_write: stderr arrives line by line, UTF-8 split across writes; other fds are EBADF', () => {
  const lines = [];
  const { i, w, dv } = shim({ stderr: (l) => lines.push(l) });
  const bytes = new TextEncoder().encode('prémier\nsecond\n');
  new Uint8Array(w.memory.buffer).set(bytes, 1024);
  // two iovecs splitting the two-byte é
  dv().setUint32(0, 1024, true);
  dv().setUint32(4, 3, true);
  dv().setUint32(8, 1027, true);
  dv().setUint32(12, bytes.length - 3, true);
  assert.equal(i.fd_write(2, 0, 2, 100), errno.SUCCESS);
  assert.equal(dv().getUint32(100, true), bytes.length);
  assert.deepEqual(lines, ['prémier', 'second']);
  assert.equal(i.fd_write(7, 0, 2, 100), errno.BADF);
  assert.equal(i.fd_write(1, 0, 2, 100), errno.SUCCESS, 'stdout is writable even when dropped');
});

test('fd_* calls: stdio is a character device, no preopens, nothing else open', () => {
  const { i, dv } = shim();
  assert.equal(i.fd_fdstat_get(1, 200), errno.SUCCESS);
  assert.equal(dv().getUint8(200), 2, 'filetype character device');
  assert.equal(i.fd_fdstat_get(3, 200), errno.BADF);
  assert.equal(i.fd_fdstat_set_flags(1, 4), errno.SUCCESS);
  assert.equal(i.fd_fdstat_set_flags(9, 4), errno.BADF);
  assert.equal(i.fd_prestat_get(3, 200), errno.BADF);
  assert.equal(i.fd_prestat_dir_name(3, 200, 10), errno.BADF);
  assert.equal(i.fd_read(0, 0, 0, 0), errno.BADF);
  assert.equal(i.fd_close(3), errno.BADF);
  assert.equal(i.path_open(3, 0, 0, 0, 0, 0n, 0n, 0, 0), errno.NOSYS);
  assert.equal(i.sock_accept(3, 0, 0), errno.NOSYS);
  assert.equal(i.sched_yield(), errno.SUCCESS);
});

test('every preview1 function is provided', () => {
  const { i } = shim();
  assert.equal(PREVIEW1_FUNCTIONS.length, 46);
  for (const name of PREVIEW1_FUNCTIONS) assert.equal(typeof i[name], 'function', name);
});

// Subscription: userdata u64 @0, tag u8 @8, clock id u32 @16, timeout u64 @24,
// precision u64 @32, flags u16 @40 (fd subscriptions: fd u32 @16); 48 bytes.
function subscribe(dv, at, { userdata, tag, clock = 1, timeout = 0n, flags = 0, fd = 0 }) {
  dv.setBigUint64(at, userdata, true);
  dv.setUint8(at + 8, tag);
  dv.setUint32(at + 16, tag === 0 ? clock : fd, true);
  dv.setBigUint64(at + 24, timeout, true);
  dv.setUint16(at + 40, flags, true);
}

test('poll_oneoff answers every subscription and sleeps for the earliest timeout', () => {
  const { w, i, dv } = shim();
  // The sleeps are recorded as well as slept: whether poll_oneoff slept
  // is read from the record, not from a clock a loaded machine stretches.
  const sleeps = [];
  const sleep = w._sleep;
  w._sleep = (ns) => { sleeps.push(ns); sleep(ns); };
  const IN = 1000;
  const OUT = 2000;
  subscribe(dv(), IN, { userdata: 11n, tag: 0, timeout: 20000000n }); // 20 ms relative
  subscribe(dv(), IN + 48, { userdata: 22n, tag: 2, fd: 2 }); // stderr writable
  subscribe(dv(), IN + 96, { userdata: 33n, tag: 1, fd: 9 }); // read on a closed fd
  assert.equal(i.poll_oneoff(IN, OUT, 2, 3000), errno.SUCCESS); // clock + stderr: no sleep
  assert.deepEqual(sleeps, [], 'slept although a fd event was ready');
  const t0 = performance.now();
  assert.equal(i.poll_oneoff(IN, OUT, 1, 3000), errno.SUCCESS); // the clock alone
  const slept = performance.now() - t0;
  assert.deepEqual(sleeps, [20000000n]);
  assert.ok(slept >= 15, `slept ${slept} ms for a 20 ms timeout`);
  assert.equal(i.poll_oneoff(IN, OUT, 3, 3000), errno.SUCCESS);
  assert.equal(dv().getUint32(3000, true), 3);
  const ev = (k) => ({
    userdata: dv().getBigUint64(OUT + 32 * k, true),
    error: dv().getUint16(OUT + 32 * k + 8, true),
    type: dv().getUint8(OUT + 32 * k + 10),
  });
  assert.deepEqual(ev(0), { userdata: 11n, error: 0, type: 0 });
  assert.deepEqual(ev(1), { userdata: 22n, error: 0, type: 2 });
  assert.deepEqual(ev(2), { userdata: 33n, error: errno.BADF, type: 1 });
});

test('poll_oneoff: an absolute deadline in the past fires at once; nonsense is an errno, not a throw', () => {
  const { i, dv, w } = shim({ sleep: false });
  subscribe(dv(), 0, { userdata: 1n, tag: 0, clock: 1, timeout: 1n, flags: 1 });
  assert.equal(i.poll_oneoff(0, 100, 1, 200), errno.SUCCESS);
  assert.equal(i.poll_oneoff(0, 100, 0, 200), errno.INVAL);
  const past = w.memory.buffer.byteLength;
  assert.equal(i.poll_oneoff(past, 100, 1, 200), errno.FAULT);
  assert.equal(i.fd_write(2, past, 1, 0), errno.FAULT);
  assert.equal(i.random_get(past, 10), errno.FAULT);
});

test('proc_exit throws WasiExit and records the status', () => {
  const { i, w } = shim();
  assert.throws(() => i.proc_exit(3), (e) => e instanceof WasiExit && e.code === 3);
  assert.equal(w.exitCode, 3);
});

test('the committed module imports only what the shim implements, and initialises', async () => {
  const bytes = readFileSync(wasmPath);
  const module = await WebAssembly.compile(bytes);
  const stubs = new Set(['path_open', 'sock_accept']); // examples of ENOSYS answers
  // Besides WASI the module imports only the host functions abi.json lists
  // (regex.js answers them).
  const golden = JSON.parse(readFileSync(new URL('../../internal/abi/abi.json', import.meta.url), 'utf8'));
  const all = WebAssembly.Module.imports(module);
  const host = all.filter((x) => x.module !== 'wasi_snapshot_preview1');
  for (const imp of host) {
    assert.equal(golden.imports[imp.name]?.module, imp.module, `unexpected import ${imp.module}.${imp.name}`);
  }
  const wanted = all.filter((x) => x.module === 'wasi_snapshot_preview1');
  for (const imp of wanted) {
    assert.equal(imp.module, 'wasi_snapshot_preview1', `unexpected import module ${imp.module}`);
    assert.ok(!stubs.has(imp.name), `the module imports ${imp.name}, which the shim answers ENOSYS`);
  }
  const implemented = new Set([
    'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
    'random_get', 'fd_write', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_prestat_get', 'fd_prestat_dir_name',
    'fd_close', 'fd_read', 'fd_seek', 'fd_sync', 'poll_oneoff', 'proc_exit', 'sched_yield',
  ]);
  const missing = wanted.map((x) => x.name).filter((n) => !implemented.has(n));
  assert.deepEqual(missing, [], 'imports the shim does not implement for real');

  const w = new WASI();
  const tollgate_host = { regex_compile: () => -1, regex_match: () => 3 };
  const instance = await WebAssembly.instantiate(module, { ...w.importObject, tollgate_host });
  w.initialize(instance);
  assert.ok(w.calls.clock_time_get > 0, 'the runtime read no clock');
  assert.equal(w.calls.random_get, 1, 'the runtime seeds itself once');
  assert.equal(w.calls.proc_exit, undefined);
});

test('the Go runtime survives heavy garbage collection under the shim', async () => {
  const { load } = await import('../tollgate.js');
  const tg = await load();
  const big = JSON.stringify({ pin: '7'.repeat(200000) });
  for (let k = 0; k < 50; k++) tg.callText('pin', big); // ~10 MB of churn through the guest
  assert.equal(JSON.parse(tg.callText('pin', '{"pin":"2580"}')).accepted, false);
  assert.equal(tg.wasi.calls.proc_exit, undefined);
});
