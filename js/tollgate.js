// tollgate for browsers and Node: the committed WebAssembly module
// (wasm/tollgate.wasm, the same bytes the Go host runs; tollgate.wasm beside
// this file in the npm package) behind a small API.
//
//   import { load } from '@tollgate/tollgate';
//   const tg = await load();                       // or load({ lang: 'fr' })
//   const v = tg.checkPin('2580', { extensions: ['4021'] });
//   v.accepted;                                    // false
//   v.reasons[0].code;                             // 'keypad_line'
//
// Every operation is one synchronous call into the module with the api's
// JSON request (docs/architecture.md); the verdicts are the Go API's, byte
// for byte. Messages come back in English from the module and are
// re-rendered from a catalogue keyed by code for another language; codes
// never change. No input ever appears in an error this module throws.
//
// Regular expressions (the regex dialect of restriction tables) run in a
// second module, regex.wasm, loaded only when needed (regex.js,
// docs/js.md): await tg.enableRegex(), or the async entry points
// loadTablesAsync, lintAsync, dialAsync and callAsync, load it before a
// document with regex rows reaches the main module.

import { WASI, WasiExit } from './wasi.js';
import * as abi from './abi.js';
import { RegexEngine, RegexTable, mentionsRegex, prepareNode, nodeImport, checkoutURL } from './regex.js';
import { parseArtifact, DataError } from './data.js';

export { WASI } from './wasi.js';
export { defaultRegexModuleURL } from './regex.js';
export * as abi from './abi.js';

/**
 * Where the module is found by default: tollgate.wasm beside this file, where
 * the npm package has it (npm pack copies it from wasm/; in a checkout of the
 * repository Node reads wasm/tollgate.wasm instead, see checkoutURL). Written
 * as new URL('…', import.meta.url) so that bundlers emit the file and
 * rewrite the URL.
 */
export const defaultModuleURL = new URL('./tollgate.wasm', import.meta.url);

/**
 * The data artifacts load() reads by default (docs/abi.md, "Data
 * artifacts"): passwords.tgd, the breached-password list of the password
 * blocklist, beside this file like the module.
 */
export const defaultDataURLs = Object.freeze([new URL('./passwords.tgd', import.meta.url)]);

/** Languages with a bundled message catalogue. */
export const languages = Object.freeze(['en', 'fr']);

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * TollgateError is an operation that could not run: the api's error
 * ({code, message, field}) or a fault of the module (code 'trap', 'panic',
 * 'too_large', ...). Its message never holds the input.
 */
export class TollgateError extends Error {
  constructor(code, message, field) {
    super(field ? `${code}: ${field}: ${message}` : `${code}: ${message}`);
    this.name = 'TollgateError';
    this.code = code;
    this.field = field;
  }
}

// escapeLoneSurrogates writes each lone UTF-16 surrogate of a request text
// as a \u escape. A JS string can hold one, UTF-8 cannot: TextEncoder would
// put U+FFFD in its place, and secrets differing only there would reach the
// module as one (issue 14, finding 6; docs/security.md). Escaped (as
// JSON.stringify writes it), it reaches the module's decoder, which refuses
// it in a secret and reads it as U+FFFD elsewhere, as on every other host.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
function escapeLoneSurrogates(text) {
  const wellFormed = typeof text.isWellFormed === 'function' ? text.isWellFormed() : !loneSurrogate.test(text);
  loneSurrogate.lastIndex = 0;
  if (wellFormed) return text;
  return text.replace(loneSurrogate, (c, at) => {
    // After an odd run of backslashes the text is already a bad escape;
    // one more backslash would make an escaped backslash followed by the
    // letters "udcff", so it is left for the module to refuse.
    let n = 0;
    while (at - n - 1 >= 0 && text[at - n - 1] === '\\') n++;
    return n % 2 ? c : `\\u${c.charCodeAt(0).toString(16)}`;
  });
}

// ModuleFailed: buf_ptr or buf_cap answered 0, the module's way of saying it
// recovered from a panic there (docs/abi.md); the instance is discarded.
class ModuleFailed extends Error {}

async function readLocal(url) {
  const { readFile } = await nodeImport('node:fs/promises');
  return readFile(url);
}

// readModule reads a module file in Node; a file that is not there is a
// load error that names it (a path is not a secret).
async function readModule(url) {
  try {
    return await readLocal(url);
  } catch (e) {
    const path = url.protocol === 'file:' ? decodeURIComponent(url.pathname) : String(url);
    throw new TollgateError('load', `cannot read the module ${path}: ${e.code || e.message}`);
  }
}

// The catalogues, each written out so that bundlers emit both files.
const catalogueURLs = {
  en: new URL('./messages.en.json', import.meta.url),
  fr: new URL('./messages.fr.json', import.meta.url),
};

function isFileURL(u) {
  return u instanceof URL ? u.protocol === 'file:' : /^file:/.test(u);
}

// instantiate compiles and instantiates source with imports and returns
// {module, instance}. In browsers a URL is fetched and compiled while it
// streams in; a server that sends the wrong Content-Type (streaming needs
// application/wasm) falls back to compiling the bytes.
async function instantiate(source, imports) {
  if (source instanceof WebAssembly.Module) {
    return { module: source, instance: await WebAssembly.instantiate(source, imports) };
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.instantiate(source, imports);
  }
  if (typeof source === 'string' || source instanceof URL) {
    if (isNode && (isFileURL(source) || !/^https?:/.test(String(source)))) {
      const url = source instanceof URL || isFileURL(source) ? source : new URL(source, `file://${process.cwd()}/`);
      return WebAssembly.instantiate(await readModule(url), imports);
    }
    source = fetch(source);
  }
  const response = await source;
  if (!response.ok) {
    throw new TollgateError('load', `fetching the module failed: HTTP ${response.status} ${response.statusText}`);
  }
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return await WebAssembly.instantiateStreaming(response.clone(), imports);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // a MIME type problem is a TypeError
    }
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}

// Catalogues already read, by language (shared by every instance).
const catalogues = new Map();

/**
 * Reads the bundled catalogue for lang (messages.LANG.json beside this file).
 * @returns {Promise<{lang: string, messages: Record<string,string>, details?: Record<string,string>}>}
 */
export async function loadCatalogue(lang) {
  if (!languages.includes(lang)) {
    throw new TollgateError('bad_option', `no catalogue for language "${lang}" (have ${languages.join(', ')})`, 'lang');
  }
  if (!catalogues.has(lang)) {
    const url = catalogueURLs[lang];
    const text = isNode && url.protocol === 'file:'
      ? (await readLocal(url)).toString('utf8')
      : await (await fetch(url)).text();
    catalogues.set(lang, JSON.parse(text));
  }
  return catalogues.get(lang);
}

/**
 * Fills a template's {limit} and {detail} from a reason, as Go's core.Render
 * does (an absent limit renders as 0).
 */
export function render(template, reason, details) {
  if (!template) return reason.code;
  const detail = reason.detail ?? '';
  return template
    .replaceAll('{limit}', String(reason.limit ?? 0))
    .replaceAll('{detail}', (details && details[detail]) || detail);
}

/**
 * Loads the module and returns a ready Tollgate.
 * @param {object} [options] see index.d.ts (LoadOptions)
 */
export async function load(options = {}) {
  const t0 = performance.now();
  const engine = new RegexEngine(options);
  await prepareNode();
  const wasi = newWASI(options);
  const table = new RegexTable(engine);
  // With regex: true the regex module compiles while the main one does.
  const [{ module, instance }, data] = await Promise.all([
    instantiate(options.module ?? checkoutURL(defaultModuleURL), importObject(wasi, table)),
    readData(options.data),
    engine.mode === true ? engine.enable() : null,
  ]);
  const tg = new Tollgate(module, instance, wasi, options, engine, table, data);
  if (options.lang && options.lang !== 'en') await tg.setLang(options.lang);
  tg.loadMillis = performance.now() - t0;
  return tg;
}

/** One module instance and its session (loaded policies and tables). */
export class Tollgate {
  constructor(module, instance, wasi, options = {}, engine = new RegexEngine(options), table = new RegexTable(engine), data = []) {
    this.module = module;
    this._regex = engine;
    this.lang = 'en';
    this.loadMillis = 0;
    this._options = options;
    this._enc = new TextEncoder();
    this._dec = new TextDecoder('utf-8', { fatal: false });
    this._loads = []; // [op, request text] of successful loads, replayed after a fault
    this._data = data; // verified artifacts, {name, version, payload}, given to every instance
    this._bind(instance, wasi, table);
  }

  /** The data artifacts loaded into the module: [{name, version}]. */
  get data() {
    return this._data.map(({ name, version }) => ({ name, version }));
  }

  _bind(instance, wasi, table) {
    table.memory = instance.exports.memory;
    this._rtable = table;
    wasi.initialize(instance);
    const x = instance.exports;
    const version = x[abi.exports.version]();
    if (version !== abi.VERSION) {
      throw new TollgateError('abi_version', `the module speaks ABI version ${version}; this package speaks ${abi.VERSION}`);
    }
    this.wasi = wasi;
    this._x = x;
    this._mem = x.memory;
    this._bytes = new Uint8Array(this._mem.buffer);
    for (const d of this._data ?? []) this._loadData(d);
  }

  // _loadData hands a verified artifact's payload to the instance through
  // data_load: its name, then the payload, in the scratch buffer. The
  // module keeps those bytes and starts a new buffer.
  _loadData({ name, payload }) {
    const x = this._x;
    if (typeof x[abi.exports.dataLoad] !== 'function') {
      throw new TollgateError('load', `the module has no ${abi.exports.dataLoad} export (built before data artifacts?)`);
    }
    const nameb = this._enc.encode(name);
    const need = nameb.length + payload.length;
    if (need > abi.MAX_BUF) throw new TollgateError('too_large', `data artifact "${name}" of ${need} bytes exceeds the module's ${abi.MAX_BUF}`);
    let st = x.buf_reserve(need);
    if (st !== abi.status.OK) throw new TollgateError(abi.statusNames[st] ?? 'unknown', `reserving ${need} bytes failed`);
    const ptr = x.buf_ptr();
    const mem = this._view();
    mem.set(nameb, ptr);
    mem.set(payload, ptr + nameb.length);
    const [status, n] = abi.unpackCall(x[abi.exports.dataLoad](nameb.length, payload.length));
    if (status === abi.status.OK) return;
    if (status === abi.status.OP_ERROR) {
      const p = x.buf_ptr();
      const res = JSON.parse(this._dec.decode(this._view().subarray(p, p + n)));
      throw new TollgateError(res.error.code, res.error.message, res.error.field);
    }
    throw new TollgateError(abi.statusNames[status] ?? 'unknown', `${abi.exports.dataLoad} of "${name}" failed with status ${status}`);
  }

  /** The module's ABI version. */
  get abiVersion() {
    return this._x[abi.exports.version]();
  }

  _view() {
    // memory.grow detaches the old buffer; re-create the view when it did.
    if (this._bytes.buffer !== this._mem.buffer) this._bytes = new Uint8Array(this._mem.buffer);
    return this._bytes;
  }

  // _replace discards a faulted instance for a fresh one from the same
  // compiled module and replays the loads, so handles stay valid.
  _replace() {
    const wasi = newWASI(this._options);
    const table = new RegexTable(this._regex);
    this._bind(new WebAssembly.Instance(this.module, importObject(wasi, table)), wasi, table);
    const loads = this._loads;
    this._loads = [];
    for (const [op, text] of loads) this.callText(op, text);
  }

  /**
   * Runs op with the JSON request text and returns the response text exactly
   * as the module produced it (an {"error": ...} object when the operation
   * could not run). Throws TollgateError only for faults of the module.
   */
  callText(op, requestText) {
    requestText = escapeLoneSurrogates(requestText);
    const x = this._x;
    let status, n;
    try {
      let ptr = x.buf_ptr();
      let cap = x.buf_cap();
      if (ptr === 0 || cap === 0) throw new ModuleFailed();
      let mem = this._view();
      const opw = this._enc.encodeInto(op, mem.subarray(ptr, ptr + cap));
      let req = this._enc.encodeInto(requestText, mem.subarray(ptr + opw.written, ptr + cap));
      if (opw.read < op.length || req.read < requestText.length) {
        // Too big for the scratch buffer: size it exactly and write again.
        const opb = this._enc.encode(op);
        const reqb = this._enc.encode(requestText);
        const need = opb.length + reqb.length;
        if (need > abi.MAX_BUF) throw new TollgateError('too_large', `request of ${need} bytes exceeds the module's ${abi.MAX_BUF}`);
        const st = x.buf_reserve(need);
        if (st !== abi.status.OK) throw new TollgateError(abi.statusNames[st] ?? 'unknown', `reserving ${need} bytes failed`);
        ptr = x.buf_ptr();
        mem = this._view();
        mem.set(opb, ptr);
        mem.set(reqb, ptr + opb.length);
        req = { written: reqb.length };
        opw.written = opb.length;
      }
      [status, n] = abi.unpackCall(x.call(opw.written, req.written));
    } catch (e) {
      if (e instanceof TollgateError) throw e;
      // A trap (or proc_exit) leaves the instance undefined: never reuse it.
      this._replace();
      if (e instanceof ModuleFailed) throw new TollgateError('panic', `the module failed before ${JSON.stringify(op)} and was replaced`);
      throw new TollgateError('trap', `the module trapped during ${JSON.stringify(op)} and was replaced (${e instanceof WasiExit ? 'exit' : e.name})`);
    }
    if (status === abi.status.OK || status === abi.status.OP_ERROR) {
      const ptr = x.buf_ptr(); // the reply may have grown (moved) the buffer
      if (ptr === 0) {
        this._replace();
        throw new TollgateError('panic', `the module failed after ${JSON.stringify(op)} and was replaced`);
      }
      const text = this._dec.decode(this._view().subarray(ptr, ptr + n));
      if (status === abi.status.OK && (op === 'policy.load' || op === 'tables.load')) this._loads.push([op, requestText]);
      // An instance that reached the regex limit starts over, as under the
      // Go host: a fresh one with the successful loads replayed.
      if (this._rtable.full) this._replace();
      return text;
    }
    if (status === abi.status.PANIC) {
      this._replace();
      throw new TollgateError('panic', `the module panicked during ${JSON.stringify(op)} and was replaced`);
    }
    throw new TollgateError(abi.statusNames[status] ?? 'unknown', `call ${JSON.stringify(op)} failed with status ${status}`);
  }

  /**
   * Runs op with a request object and returns the parsed response, error
   * objects included ({error: {code, message, field}}).
   */
  call(op, request = {}) {
    return JSON.parse(this.callText(op, JSON.stringify(request)));
  }

  // _do runs op and throws the api's error as a TollgateError.
  _do(op, request) {
    const res = this.call(op, request);
    if (res && res.error) throw new TollgateError(res.error.code, res.error.message, res.error.field);
    return res;
  }

  /** Switches the language of messages; loads its catalogue when needed. */
  async setLang(lang) {
    if (lang !== 'en') await loadCatalogue(lang);
    else await Promise.resolve();
    this.lang = lang;
  }

  /**
   * Re-renders a verdict's messages in lang (default: this.lang). Codes,
   * spans, limits and details are unchanged; a code the catalogue lacks keeps
   * the module's English message.
   */
  translate(verdict, lang = this.lang) {
    if (lang === 'en' || !verdict || !Array.isArray(verdict.reasons)) return verdict;
    const cat = catalogues.get(lang);
    if (!cat) throw new TollgateError('bad_option', `catalogue "${lang}" is not loaded: call setLang first`, 'lang');
    for (const r of verdict.reasons) {
      const t = cat.messages[r.code];
      if (t) r.message = render(t, r, cat.details);
    }
    return verdict;
  }

  _verdict(op, request, options) {
    const v = this._do(op, request);
    return this.translate(v, options.lang ?? this.lang);
  }

  /** Checks a voicemail PIN. context: extensions, first_name, last_name, dob, year, previous, previous_records. */
  checkPin(pin, context = {}, options = {}) {
    return this._verdict('pin', withPolicy({ pin: String(pin), context }, options), options);
  }

  /** Checks a web password. context: alias, extensions, old, previous, previous_records. */
  checkPassword(password, context = {}, options = {}) {
    return this._verdict('password', withPolicy({ password: String(password), context }, options), options);
  }

  /** Validates a policy (profile name or object) and returns {handle, name}. */
  loadPolicy(policy) {
    return this._do('policy.load', policy);
  }

  /** Validates restriction tables (built-in set name or object); returns {handle, tables}. */
  loadTables(tables) {
    return this._do('tables.load', tables);
  }

  /** Checks a dialed number against restriction tables. */
  dial(number, options = {}) {
    const req = {};
    if (options.tables !== undefined) req.tables = options.tables;
    if (options.table !== undefined) req.table = options.table;
    if (options.cos !== undefined) req.cos = options.cos;
    if (options.feature !== undefined) req.feature = options.feature;
    req.number = String(number);
    return this._do('dial', req);
  }

  /**
   * Returns a function that matches numbers against one table through the
   * module's scalar dial export: no JSON, one crossing, about a microsecond.
   * tables is a handle from loadTables. The function returns {allowed,
   * reason, normalized, alt, row} (row -1 when no row decided); the table's
   * name and the row's pattern are in dial()'s answer.
   */
  dialer(tables, table) {
    if (!Number.isInteger(tables)) throw new TollgateError('bad_request', 'dialer needs a tables handle from loadTables', 'tables');
    const name = this._enc.encode(String(table));
    const index = this._scalar('table_index', (x, ptr) => {
      this._view().set(name, ptr);
      return x.table_index(tables, name.length);
    });
    return (number) => abi.unpackDial(this._scalar('dial', (x, ptr, cap) => {
      const w = this._enc.encodeInto(String(number), this._view().subarray(ptr, ptr + cap));
      if (w.read < String(number).length) throw new TollgateError('too_large', 'the number does not fit the scratch buffer');
      return x.dial(tables, index, w.written);
    }));
  }

  // _scalar runs one scalar export through fn(exports, buf_ptr, buf_cap);
  // a negative result is a status, and faults replace the instance.
  _scalar(name, fn) {
    let r;
    try {
      const x = this._x;
      const ptr = x.buf_ptr();
      const cap = x.buf_cap();
      if (ptr === 0 || cap === 0) throw new ModuleFailed();
      r = fn(x, ptr, cap);
    } catch (e) {
      if (e instanceof TollgateError) throw e;
      this._replace();
      if (e instanceof ModuleFailed) throw new TollgateError('panic', `the module failed before ${name} and was replaced`);
      throw new TollgateError('trap', `the module trapped during ${name} and was replaced`);
    }
    if (r >= 0) return r;
    const st = -r;
    if (st === abi.status.PANIC) {
      this._replace();
      throw new TollgateError('panic', `the module panicked during ${name} and was replaced`);
    }
    throw new TollgateError(abi.statusNames[st] ?? 'unknown', `${name} failed with status ${st}`);
  }

  /**
   * Makes regular expressions available: compiles wasm/regex.wasm (fetched
   * in browsers) once. Resolves at once when it already is; rejects with
   * code 'bad_option' under load({regex: false}).
   */
  async enableRegex() {
    try {
      await this._regex.enable();
    } catch (e) {
      if (this._regex.mode === false) throw new TollgateError('bad_option', 'regular expressions are disabled (load option regex: false)', 'regex');
      throw new TollgateError('load', e instanceof Error ? e.message : 'loading the regex module failed');
    }
  }

  /** Whether the regex module is compiled, so that regex rows work in synchronous calls. */
  get regexReady() {
    return this._regex.ready;
  }

  // _regexFor loads the regex module when request may hold regex rows.
  async _regexFor(request) {
    if (this._regex.mode !== false && !this._regex.ready && mentionsRegex(request)) await this.enableRegex();
  }

  /** loadTables, after loading the regex module if the tables need it. */
  async loadTablesAsync(tables) {
    await this._regexFor(tables);
    return this.loadTables(tables);
  }

  /** lint, after loading the regex module if the tables need it. */
  async lintAsync(tables) {
    await this._regexFor(tables);
    return this.lint(tables);
  }

  /** dial, after loading the regex module if inline tables need it. */
  async dialAsync(number, options = {}) {
    await this._regexFor(options.tables);
    return this.dial(number, options);
  }

  /** call, after loading the regex module if the request may need it. */
  async callAsync(op, request = {}) {
    await this._regexFor(request);
    return this.call(op, request);
  }

  /** Lints restriction tables; returns {findings}. */
  lint(tables) {
    return this._do('lint', tables === undefined ? {} : { tables });
  }

  /** Verifies a secret against a stored-credential record. */
  verifyHash(record, secret, options = {}) {
    const req = { record, secret };
    if (options.fips !== undefined) req.fips = options.fips;
    if (options.scheme !== undefined) req.scheme = options.scheme;
    return this._do('hash.verify', req);
  }

  /** Makes a stored-credential record; salt is required for salted schemes. */
  makeHash(scheme, secret, salt) {
    const req = { scheme, secret };
    if (salt !== undefined) req.salt = salt;
    return this._do('hash.make', req);
  }

  /** Advances the sign-in state machine by one event. */
  signin(request) {
    return this._do('signin', request);
  }

  /** For fault tests only: asks the module to fail (abi.fault kinds). */
  debugFault(kind) {
    try {
      const st = this._x.fault(kind);
      if (st === abi.status.PANIC) {
        this._replace();
        throw new TollgateError('panic', 'the module panicked and was replaced');
      }
      return st;
    } catch (e) {
      if (e instanceof TollgateError) throw e;
      this._replace();
      throw new TollgateError('trap', `the module trapped and was replaced (${e.name})`);
    }
  }
}

// newWASI makes the shim for one instance. GOGC=off lets package
// initialisation run without collections (the module sets its own
// collector percentage once initialised, docs/abi.md); options.env adds to
// or overrides it (GOMEMLIMIT, say).
function newWASI(options) {
  return new WASI({ stderr: options.stderr, env: { GOGC: 'off', ...options.env } });
}

// importObject is one main-module instance's imports: WASI and, in
// tollgate_host, its own regex table.
function importObject(wasi, table) {
  return { ...wasi.importObject, [abi.IMPORT_MODULE]: table.imports() };
}

function withPolicy(req, options) {
  return options.policy === undefined ? req : { policy: options.policy, ...req };
}

// readData reads and verifies the data artifacts of option data: an array
// of URLs, paths, bytes or fetch Responses (default defaultDataURLs), or
// false for none (then a policy with the password blocklist on fails with
// data_missing). Each is read as the module is: from disk in Node, fetched
// in browsers.
async function readData(option) {
  if (option === false) return [];
  if (option !== undefined && !Array.isArray(option)) {
    throw new TollgateError('bad_option', 'data: want an array of artifacts (URLs, paths, bytes) or false', 'data');
  }
  const sources = option ?? defaultDataURLs.map((u) => checkoutURL(u));
  return Promise.all(sources.map(async (src) => {
    const bytes = await readBytes(src);
    try {
      return await parseArtifact(bytes);
    } catch (e) {
      if (e instanceof DataError) throw new TollgateError('bad_data', e.message, 'data');
      throw e;
    }
  }));
}

async function readBytes(src) {
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (typeof src === 'string' || src instanceof URL) {
    if (isNode && (isFileURL(src) || !/^https?:/.test(String(src)))) {
      const url = src instanceof URL || isFileURL(src) ? src : new URL(src, `file://${process.cwd()}/`);
      try {
        return new Uint8Array(await readLocal(url));
      } catch (e) {
        const path = url.protocol === 'file:' ? decodeURIComponent(url.pathname) : String(url);
        throw new TollgateError('load', `cannot read the data artifact ${path}: ${e.code || e.message}`, 'data');
      }
    }
    src = fetch(src);
  }
  const response = await src;
  if (!response.ok) {
    throw new TollgateError('load', `fetching a data artifact failed: HTTP ${response.status} ${response.statusText}`, 'data');
  }
  return new Uint8Array(await response.arrayBuffer());
}
