// A WASI preview1 shim of the few imports a Go wasip1 reactor
// (-buildmode=c-shared) calls, for browsers and Node, with no dependency.
//
// tollgate's module does no I/O: it has no arguments, no environment, no
// files and no network. What the Go runtime still needs is a clock, random
// bytes, somewhere to write a crash report, and a poll_oneoff that answers.
// Node's node:wasi is experimental and absent from browsers, and
// @bjorn3/browser_wasi_shim's poll_oneoff throws, which the Go runtime turns
// into a fatal error (golang/go#78513); hence this file.
//
// Every function returns an errno and never throws, except proc_exit, which
// cannot return by definition. All 46 preview1 functions are provided so a
// module instantiates whatever it imports; those tollgate's runtime has no
// use for answer ENOSYS (EBADF for fd_*). Tests check which ones the
// committed module imports and calls.

/** WASI errno values used here (wasi_snapshot_preview1). */
export const errno = Object.freeze({
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOSYS: 52,
  NOTSUP: 58,
});

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_PROCESS_CPUTIME = 2;
const CLOCK_THREAD_CPUTIME = 3;

const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_READ = 1;
const EVENTTYPE_FD_WRITE = 2;
const SUBCLOCKFLAG_ABSTIME = 1;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;

const FILETYPE_CHARACTER_DEVICE = 2;
const FDFLAG_APPEND = 1;
// All rights: the shim enforces none, there being no real file behind a fd.
const RIGHTS_ALL = 0xffffffffffffffffn;

/** The functions of wasi_snapshot_preview1, in the order of its witx. */
export const PREVIEW1_FUNCTIONS = Object.freeze([
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get',
  'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get',
  'fd_fdstat_set_flags', 'fd_fdstat_set_rights', 'fd_filestat_get',
  'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread', 'fd_prestat_get',
  'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber',
  'fd_seek', 'fd_sync', 'fd_tell', 'fd_write',
  'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
  'path_link', 'path_open', 'path_readlink', 'path_remove_directory',
  'path_rename', 'path_symlink', 'path_unlink_file',
  'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get',
  'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
]);

// random_get may fill at most 65536 bytes per getRandomValues call.
const RANDOM_CHUNK = 65536;

/** Thrown by proc_exit: the instance has ended and must not be called again. */
export class WasiExit extends Error {
  constructor(code) {
    super(`wasm module exited with status ${code}`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

function monotonicNow() {
  // performance.now() is in milliseconds with sub-millisecond precision.
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

// sleeper blocks the thread for a few milliseconds where the platform allows
// it (Node, workers) so that a runtime waiting for a timer does not spin; on a
// browser's main thread Atomics.wait throws, and poll_oneoff then returns at
// once, which is a correct if early answer: the Go scheduler re-checks its
// timers and polls again.
function makeSleeper() {
  let cell;
  try {
    cell = new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(cell, 0, 0, 0);
  } catch {
    return () => {};
  }
  return (ns) => {
    const ms = Number(ns / 1000000n);
    if (ms > 0) Atomics.wait(cell, 0, 0, Math.min(ms, 1000));
  };
}

/**
 * WASI is one module instance's view of the system. Create one per instance:
 * it holds that instance's memory.
 */
export class WASI {
  /**
   * @param {object} [options]
   * @param {(text: string) => void} [options.stdout] receives what the module
   *   writes to fd 1, line by line; dropped by default.
   * @param {(text: string) => void} [options.stderr] receives fd 2 (the Go
   *   runtime's crash reports); dropped by default.
   * @param {boolean} [options.sleep] honour poll_oneoff timeouts by blocking
   *   where possible (default true).
   * @param {Record<string,string>} [options.env] the environment the module
   *   sees (GOGC, GOMEMLIMIT, ...); empty by default.
   */
  constructor(options = {}) {
    this.memory = null;
    this.calls = Object.create(null); // import name -> count, for tests and diagnostics
    this.exitCode = null;
    this._view = null;
    this._out = { 1: lineWriter(options.stdout), 2: lineWriter(options.stderr) };
    this._sleep = options.sleep === false ? () => {} : makeSleeper();
    const enc = new TextEncoder();
    this._env = Object.entries(options.env ?? {}).map(([k, v]) => enc.encode(`${k}=${v}\0`));
    this.imports = this._build();
  }

  /** Binds the instance's memory and runs the reactor's _initialize. */
  initialize(instance) {
    const { memory, _initialize, _start } = instance.exports;
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new TypeError('wasi: the module exports no memory');
    }
    if (_start) {
      throw new TypeError('wasi: the module is a command (_start), not a reactor (_initialize)');
    }
    this.memory = memory;
    if (typeof _initialize === 'function') _initialize();
  }

  /** The import object: { wasi_snapshot_preview1: {...} }. */
  get importObject() {
    return { wasi_snapshot_preview1: this.imports };
  }

  _count(name) {
    this.calls[name] = (this.calls[name] || 0) + 1;
  }

  _dv() {
    const buf = this.memory.buffer;
    // memory.grow detaches the old buffer: re-create the view when it changed.
    if (this._view === null || this._view.buffer !== buf) this._view = new DataView(buf);
    return this._view;
  }

  _build() {
    // guard wraps an import so that it counts its calls and turns any
    // exception (a bad pointer, say) into an errno instead of a trap.
    const guard = (name, fn) => (...args) => {
      this._count(name);
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof WasiExit) throw e;
        return e instanceof RangeError ? errno.FAULT : errno.INVAL;
      }
    };
    const emptyList = (countPtr, sizePtr) => {
      const dv = this._dv();
      dv.setUint32(countPtr, 0, true);
      dv.setUint32(sizePtr, 0, true);
      return errno.SUCCESS;
    };
    // environ_get writes one pointer per "KEY=VALUE\0" string at listPtr
    // and the strings themselves, back to back, at bufPtr.
    const environGet = (listPtr, bufPtr) => {
      const dv = this._dv();
      const mem = new Uint8Array(this.memory.buffer);
      let at = bufPtr;
      this._env.forEach((b, i) => {
        dv.setUint32(listPtr + 4 * i, at, true);
        mem.set(b, at);
        at += b.length;
      });
      return errno.SUCCESS;
    };
    const environSizes = (countPtr, sizePtr) => {
      const dv = this._dv();
      dv.setUint32(countPtr, this._env.length, true);
      dv.setUint32(sizePtr, this._env.reduce((n, b) => n + b.length, 0), true);
      return errno.SUCCESS;
    };
    const fns = {
      args_get: () => errno.SUCCESS,
      args_sizes_get: emptyList,
      environ_get: environGet,
      environ_sizes_get: environSizes,

      clock_res_get: (id, resPtr) => {
        if (id < CLOCK_REALTIME || id > CLOCK_THREAD_CPUTIME) return errno.INVAL;
        this._dv().setBigUint64(resPtr, 1000n, true);
        return errno.SUCCESS;
      },
      clock_time_get: (id, _precision, timePtr) => {
        let t;
        switch (id) {
          case CLOCK_REALTIME:
            t = BigInt(Date.now()) * 1000000n;
            break;
          case CLOCK_MONOTONIC:
          case CLOCK_PROCESS_CPUTIME:
          case CLOCK_THREAD_CPUTIME:
            t = monotonicNow();
            break;
          default:
            return errno.INVAL;
        }
        this._dv().setBigUint64(timePtr, t, true);
        return errno.SUCCESS;
      },

      random_get: (ptr, len) => {
        const bytes = new Uint8Array(this.memory.buffer, ptr, len);
        for (let off = 0; off < len; off += RANDOM_CHUNK) {
          crypto.getRandomValues(bytes.subarray(off, Math.min(len, off + RANDOM_CHUNK)));
        }
        return errno.SUCCESS;
      },

      fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
        const out = this._out[fd];
        if (!out) return errno.BADF;
        const dv = this._dv();
        let n = 0;
        for (let i = 0; i < iovsLen; i++) {
          const p = dv.getUint32(iovs + 8 * i, true);
          const l = dv.getUint32(iovs + 8 * i + 4, true);
          out.write(new Uint8Array(this.memory.buffer, p, l));
          n += l;
        }
        dv.setUint32(nwrittenPtr, n, true);
        return errno.SUCCESS;
      },
      fd_fdstat_get: (fd, statPtr) => {
        if (fd > 2) return errno.BADF;
        // fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16.
        const dv = this._dv();
        dv.setUint8(statPtr, FILETYPE_CHARACTER_DEVICE);
        dv.setUint16(statPtr + 2, fd === 0 ? 0 : FDFLAG_APPEND, true);
        dv.setBigUint64(statPtr + 8, RIGHTS_ALL, true);
        dv.setBigUint64(statPtr + 16, RIGHTS_ALL, true);
        return errno.SUCCESS;
      },
      // The Go runtime sets O_NONBLOCK on stdio; there is nothing to set.
      fd_fdstat_set_flags: (fd) => (fd > 2 ? errno.BADF : errno.SUCCESS),
      // No preopened directories: EBADF on fd 3 ends the runtime's scan.
      fd_prestat_get: () => errno.BADF,
      fd_prestat_dir_name: () => errno.BADF,

      poll_oneoff: (inPtr, outPtr, nsubs, neventsPtr) => this._poll(inPtr, outPtr, nsubs, neventsPtr),

      sched_yield: () => errno.SUCCESS,
    };
    const imports = {};
    // Every preview1 function is present so that any module instantiates,
    // streaming included; the ones tollgate's runtime does not call answer
    // ENOSYS (or EBADF for fds, there being none).
    for (const name of PREVIEW1_FUNCTIONS) {
      imports[name] = guard(name, () => (name.startsWith('fd_') ? errno.BADF : errno.NOSYS));
    }
    for (const [name, fn] of Object.entries(fns)) imports[name] = guard(name, fn);
    imports.proc_exit = (code) => {
      this._count('proc_exit');
      this.exitCode = code;
      for (const w of Object.values(this._out)) w.flush();
      throw new WasiExit(code);
    };
    return imports;
  }

  // _poll answers every subscription at once: a clock subscription fires
  // (after sleeping for the earliest timeout where the platform allows it),
  // stdout and stderr are always writable, and any other fd gets EBADF. Go
  // calls poll_oneoff only when every goroutine waits for a timer; an early
  // answer just makes it check its timers again.
  _poll(inPtr, outPtr, nsubs, neventsPtr) {
    if (nsubs === 0) return errno.INVAL;
    const dv = this._dv();
    let wait = -1n;
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * SUBSCRIPTION_SIZE;
      if (dv.getUint8(s + 8) !== EVENTTYPE_CLOCK) {
        wait = 0n;
        continue;
      }
      let timeout = dv.getBigUint64(s + 24, true);
      if (dv.getUint16(s + 40, true) & SUBCLOCKFLAG_ABSTIME) {
        const id = dv.getUint32(s + 16, true);
        const now = id === CLOCK_REALTIME ? BigInt(Date.now()) * 1000000n : monotonicNow();
        timeout = timeout > now ? timeout - now : 0n;
      }
      if (wait < 0n || timeout < wait) wait = timeout;
    }
    if (wait > 0n) this._sleep(wait);
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + i * SUBSCRIPTION_SIZE;
      const e = outPtr + i * EVENT_SIZE;
      const type = dv.getUint8(s + 8);
      // event: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24.
      dv.setBigUint64(e, dv.getBigUint64(s, true), true);
      let err = errno.SUCCESS;
      if (type === EVENTTYPE_FD_READ || type === EVENTTYPE_FD_WRITE) {
        const fd = dv.getUint32(s + 16, true);
        if (!(type === EVENTTYPE_FD_WRITE && this._out[fd])) err = errno.BADF;
      } else if (type !== EVENTTYPE_CLOCK) {
        err = errno.INVAL;
      }
      dv.setUint16(e + 8, err, true);
      dv.setUint8(e + 10, type);
      dv.setBigUint64(e + 16, 0n, true);
      dv.setUint16(e + 24, 0, true);
    }
    dv.setUint32(neventsPtr, nsubs, true);
    return errno.SUCCESS;
  }
}

// lineWriter decodes UTF-8 bytes and hands complete lines to sink.
function lineWriter(sink) {
  if (typeof sink !== 'function') return { write() {}, flush() {} };
  const dec = new TextDecoder();
  let pending = '';
  return {
    write(bytes) {
      pending += dec.decode(bytes, { stream: true });
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        sink(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    },
    flush() {
      if (pending !== '') sink(pending);
      pending = '';
    },
  };
}
