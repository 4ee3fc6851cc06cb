// The host side of the main module's regex imports (ABI 2, docs/abi.md):
// regex_compile and regex_match of module "tollgate_host", answered with
// wasm/regex.wasm, regexp2 compiled to a module of its own, so that the
// regex dialect of restriction tables gives the verdicts Go gives, byte for
// byte (JS RegExp lacks regexp2's .NET semantics: lookbehind rules, \d
// matching every Unicode digit, its error messages).
//
// Imports are synchronous: the regex module must be compiled before the
// main module first compiles a pattern. RegexEngine holds it (one compiled
// module, one instance shared by every main-module instance of a Tollgate);
// RegexTable is one main-module instance's ids. See docs/js.md for when the
// module is downloaded.
//
// Inside wasm, regexp2's 50 ms match timeout never fires (its clock is a
// goroutine that a single-threaded call never lets run): a catastrophic
// pattern runs to its end. Run tollgate in a worker to bound it.

import { WASI } from './wasi.js';
import * as abi from './abi.js';

const rx = abi.regexModule;
const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * Where the regex module is found by default: regex.wasm beside this file,
 * where the npm package has it. Written as new URL('…', import.meta.url) so
 * that bundlers (Vite, webpack, Parcel, Rollup) emit the file and rewrite
 * the URL.
 */
export const defaultRegexModuleURL = new URL('./regex.wasm', import.meta.url);

// nodeImport imports a Node built-in under a name bundlers cannot see: a
// browser bundle then neither fails to resolve it nor warns about it (the
// branches that call it never run in browsers).
export function nodeImport(name) {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

// Messages regex_compile writes back when no engine answers. They become
// the table's load error, so they say how to fix it.
export const msgDisabled = 'regular expressions are disabled in this tollgate (load option regex: false)';
export const msgNotLoaded = 'regular expressions need the regex module (wasm/regex.wasm), which is not loaded: ' +
  'await tg.enableRegex() (or use loadTablesAsync, lintAsync, dialAsync, callAsync) before this call, or load with { regex: true }';
const msgTooMany = `tollgate host: more than ${rx.MAX_PER_INSTANCE} distinct regular expressions in one module instance`;

// node:fs, imported once by load() in Node so that the engine can read the
// module synchronously from inside an import.
let nodeFs = null;
export async function prepareNode() {
  if (isNode && !nodeFs) nodeFs = await nodeImport('node:fs');
}

// In a checkout of the repository the modules stay in wasm/ beside js/; only
// npm pack copies them beside the js files (internal/pack.mjs). checkoutURL
// maps a default URL whose file is absent to the checkout's wasm/NAME, so
// that Node runs from a checkout with no options too. Deliberately not
// written as new URL('…', import.meta.url): a bundler would go looking for a
// file that the package does not have.
const here = import.meta.url;
export function checkoutURL(url) {
  if (!isNode || !nodeFs || url.protocol !== 'file:' || nodeFs.existsSync(url)) return url;
  const name = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const alt = new URL(`../wasm/${name}`, here);
  return nodeFs.existsSync(alt) ? alt : url;
}

// Compiled regex modules by URL, shared by every Tollgate of the page or
// process: a second load() neither downloads nor compiles it again.
const compiledByURL = new Map(); // String(url) -> WebAssembly.Module

function urlKey(src) {
  if (src instanceof URL) return src.href;
  return typeof src === 'string' ? src : null;
}

function isFileURL(u) {
  return u instanceof URL ? u.protocol === 'file:' : /^file:/.test(u);
}

/**
 * RegexEngine is the regex module of one Tollgate: its compiled code and one
 * instance. mode is 'auto' (Node reads it on first use; browsers on
 * enableRegex()), true (loaded by load()) or false (never: regex rows fail
 * to compile, with msgDisabled).
 */
export class RegexEngine {
  constructor(options = {}) {
    const mode = options.regex ?? 'auto';
    if (mode !== 'auto' && mode !== true && mode !== false) {
      throw new TypeError(`load option regex must be 'auto', true or false`);
    }
    this.mode = mode;
    this.source = options.regexModule ?? defaultRegexModuleURL;
    this.stderr = options.stderr;
    this.code = null; // WebAssembly.Module
    this.loading = null; // Promise of code
    this.inst = null; // {x, mem, bytes}
    this.gen = 0; // bumps with every new instance: ids of older ones are void
    this.enc = new TextEncoder();
    /** How many times this engine obtained the module (read, fetched or from the shared cache). */
    this.loads = 0;
  }

  /** Whether the module is compiled (patterns compile without waiting). */
  get ready() {
    return this.code !== null;
  }

  /** Compiles the module (once); resolves when patterns can compile. */
  async enable() {
    if (this.mode === false) throw new RegexDisabled();
    if (this.code) return;
    this.loading ??= this._fetch().then(
      (code) => {
        this.code = code;
        const key = urlKey(this.source);
        if (key !== null) compiledByURL.set(key, code);
      },
      (e) => { this.loading = null; throw e; },
    );
    await this.loading;
  }

  async _fetch() {
    let src = this.source;
    this.loads++;
    const cached = compiledByURL.get(urlKey(src));
    if (cached) return cached;
    if (src instanceof WebAssembly.Module) return src;
    if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return WebAssembly.compile(src);
    if (typeof src === 'string' || src instanceof URL) {
      if (isNode && (isFileURL(src) || !/^https?:/.test(String(src)))) {
        await prepareNode();
        return WebAssembly.compile(nodeFs.readFileSync(localURL(src)));
      }
      src = fetch(src);
    }
    const response = await src;
    if (!response.ok) throw new Error(`fetching the regex module failed: HTTP ${response.status} ${response.statusText}`);
    if (typeof WebAssembly.compileStreaming === 'function') {
      try {
        return await WebAssembly.compileStreaming(response.clone());
      } catch (e) {
        if (!(e instanceof TypeError)) throw e; // wrong Content-Type: compile the bytes
      }
    }
    return WebAssembly.compile(await response.arrayBuffer());
  }

  // _syncLoad compiles the module inside an import where that is possible:
  // in Node from a file, bytes or a compiled module; in browsers only from
  // a compiled module (large synchronous compiles are refused there).
  _syncLoad() {
    const src = this.source;
    const cached = compiledByURL.get(urlKey(src));
    if (cached) {
      this.code = cached;
    } else if (src instanceof WebAssembly.Module) {
      this.code = src;
    } else if (isNode && (ArrayBuffer.isView(src) || src instanceof ArrayBuffer)) {
      this.code = new WebAssembly.Module(src);
    } else if (isNode && nodeFs && (typeof src === 'string' || src instanceof URL) && !/^https?:/.test(String(src))) {
      this.code = new WebAssembly.Module(nodeFs.readFileSync(localURL(src)));
      compiledByURL.set(urlKey(src), this.code);
    } else {
      return false;
    }
    this.loads++;
    return true;
  }

  // _instance returns the live instance, starting one when needed; null
  // when the module is not compiled and cannot be now.
  _instance() {
    if (this.inst) return this.inst;
    if (!this.code && (this.mode === false || !this._syncLoad())) return null;
    const wasi = new WASI({ stderr: this.stderr, env: { GOGC: 'off' } });
    const instance = new WebAssembly.Instance(this.code, wasi.importObject);
    wasi.initialize(instance);
    const x = instance.exports;
    const v = x[rx.exports.version]();
    if (v !== rx.VERSION) throw new Error(`the regex module speaks version ${v}; this package speaks ${rx.VERSION}`);
    this.gen++;
    // ptr and cap are cached: the buffer moves only in buf_reserve.
    this.inst = { x, mem: x.memory, bytes: new Uint8Array(x.memory.buffer), ptr: x.buf_ptr(), cap: x.buf_cap() };
    if (this.inst.ptr === 0) throw new Error('regex module failed');
    return this.inst;
  }

  // _put copies bytes (any Uint8Array, a view of the main module's memory
  // included) to the start of the instance's buffer.
  _put(inst, bytes) {
    if (bytes.length > inst.cap) {
      const x = inst.x;
      if (x.buf_reserve(bytes.length) !== abi.status.OK) return -1;
      inst.ptr = x.buf_ptr();
      inst.cap = x.buf_cap();
      if (inst.ptr === 0) throw new Error('regex module failed');
    }
    if (inst.bytes.buffer !== inst.mem.buffer) inst.bytes = new Uint8Array(inst.mem.buffer);
    inst.bytes.set(bytes, inst.ptr);
    return inst.ptr;
  }

  /**
   * Compiles pattern bytes; returns {rid, gen} or {error}. A full or
   * faulted instance is replaced and the compile tried once more.
   */
  compile(bytes) {
    for (let attempt = 0; attempt < 2; attempt++) {
      let inst;
      try {
        inst = this._instance();
        if (!inst) return { error: this.mode === false ? msgDisabled : msgNotLoaded };
        if (this._put(inst, bytes) < 0) return { error: 'regex module: pattern too large' };
        const r = inst.x.compile(bytes.length);
        if (r >= 0) return { rid: r, gen: this.gen };
        if (inst.x.count() >= rx.MAX_PATTERNS) {
          this.inst = null; // full: a fresh instance; tables recompile on use
          continue;
        }
        const n = -(r + 1);
        // The message may have grown (moved) the buffer.
        const ptr = inst.ptr = inst.x.buf_ptr();
        inst.cap = inst.x.buf_cap();
        if (inst.bytes.buffer !== inst.mem.buffer) inst.bytes = new Uint8Array(inst.mem.buffer);
        return { error: inst.bytes.slice(ptr, ptr + n) };
      } catch (e) {
        if (e instanceof RegexDisabled) return { error: msgDisabled };
        this.inst = null; // a trap leaves the instance undefined
        if (attempt === 1) return { error: 'regex module: the engine failed while compiling' };
      }
    }
    return { error: 'regex module: the engine failed while compiling' };
  }

  /** Matches input bytes against rid of generation gen; an abi.regex result. */
  match(rid, gen, bytes) {
    try {
      const inst = this._instance();
      if (!inst || gen !== this.gen) return abi.regex.NO_ID;
      if (this._put(inst, bytes) < 0) return abi.regex.TIMEOUT;
      return inst.x.match(rid, bytes.length);
    } catch {
      this.inst = null;
      return abi.regex.TIMEOUT; // the match decided nothing
    }
  }

  /** Distinct patterns the live instance holds (0 when none runs). */
  get count() {
    return this.inst ? this.inst.x.count() : 0;
  }
}

class RegexDisabled extends Error {}

function localURL(src) {
  if (src === defaultRegexModuleURL) return checkoutURL(src);
  return src instanceof URL || isFileURL(src) ? src : new URL(src, `file://${process.cwd()}/`);
}

// Pattern bytes as a Map key: one char per byte, so that invalid UTF-8
// stays distinct (the pattern reaches regexp2 as bytes, never decoded).
function byteKey(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode.apply(null, b.subarray(i, i + 4096));
  return s;
}

/**
 * RegexTable is one main-module instance's regular expressions: the ids
 * regex_compile handed out, each with its pattern bytes so that it can be
 * compiled again in a fresh regex instance.
 */
export class RegexTable {
  constructor(engine) {
    this.engine = engine;
    this.memory = null; // the main instance's memory, set once instantiated
    this.entries = []; // {bytes, rid, gen}
    this.byKey = new Map();
    this.full = false;
  }

  /** The import object's tollgate_host part for this instance. */
  imports() {
    return {
      [abi.imports.regexCompile]: (patPtr, patLen, errPtr, errCap) => this.compile(patPtr >>> 0, patLen >>> 0, errPtr >>> 0, errCap >>> 0),
      [abi.imports.regexMatch]: (id, inPtr, inLen) => this.match(id, inPtr >>> 0, inLen >>> 0),
    };
  }

  // _view returns the main module's bytes at ptr (no copy), or null when
  // they lie outside its memory.
  _view(ptr, len) {
    const buf = this.memory.buffer;
    if (ptr + len > buf.byteLength) return null;
    return new Uint8Array(buf, ptr, len);
  }

  // _error writes msg (a string or bytes), cut to errCap, and returns -(n+1).
  _error(errPtr, errCap, msg) {
    const b = typeof msg === 'string' ? this.engine.enc.encode(msg) : msg;
    const buf = this.memory.buffer;
    let n = Math.min(b.length, errCap);
    if (errPtr + n > buf.byteLength) n = 0;
    else new Uint8Array(buf, errPtr, n).set(b.subarray(0, n));
    return -n - 1;
  }

  compile(patPtr, patLen, errPtr, errCap) {
    const view = this._view(patPtr, patLen);
    const pat = view && view.slice(); // kept, to compile again in a new regex instance
    if (!pat) return this._error(errPtr, errCap, `regex_compile: pattern at ${patPtr} length ${patLen} lies outside the module's memory`);
    const key = byteKey(pat);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    if (this.entries.length >= rx.MAX_PER_INSTANCE) {
      this.full = true; // the host replaces this instance after the call
      return this._error(errPtr, errCap, msgTooMany);
    }
    const r = this.engine.compile(pat);
    if (r.error !== undefined) return this._error(errPtr, errCap, r.error);
    const id = this.entries.length;
    this.entries.push({ bytes: pat, rid: r.rid, gen: r.gen });
    this.byKey.set(key, id);
    return id;
  }

  match(id, inPtr, inLen) {
    const e = this.entries[id];
    if (e === undefined) return abi.regex.NO_ID;
    const input = this._view(inPtr, inLen);
    if (!input) return abi.regex.TIMEOUT; // an unreadable input decides nothing
    const eng = this.engine;
    if (e.gen !== eng.gen || !eng.inst) {
      // The regex instance was replaced since: compile the text again there.
      const r = eng.compile(e.bytes);
      if (r.error !== undefined) return abi.regex.TIMEOUT;
      e.rid = r.rid;
      e.gen = r.gen;
    }
    const m = eng.match(e.rid, e.gen, input);
    return m === abi.regex.NO_ID ? abi.regex.TIMEOUT : m;
  }
}

/** Whether a request (object or JSON text) may hold regex rows. */
export function mentionsRegex(request) {
  if (request === undefined || request === null || typeof request === 'number') return false;
  const text = typeof request === 'string' ? request : JSON.stringify(request);
  return text.includes('regex');
}
