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
import { parseArtifact, parseArtifactSync, DataError } from './data.js';

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
 * The audit module, wasm/tollgate-audit.wasm (tollgate-audit.wasm beside
 * this file in the package): the same module with the audit's operations
 * (docs/abi.md, "Audit"), which audit() loads (audit.js).
 */
export const auditModuleURL = new URL('./tollgate-audit.wasm', import.meta.url);

/**
 * The data artifacts a Tollgate reads by default (docs/abi.md, "Data
 * artifacts"), by name, beside this file like the module: passwords.tgd,
 * the breached-password list of the password blocklist, and
 * destinations.tgd, libphonenumber's metadata for tables documents that
 * declare a region. Each is fetched only when an operation first needs it.
 */
export const defaultDataURLs = Object.freeze({
  passwords: new URL('./passwords.tgd', import.meta.url),
  destinations: new URL('./destinations.tgd', import.meta.url),
});

/** Languages with a bundled message catalogue. */
export const languages = Object.freeze(['en', 'fr']);

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// node:fs and node:crypto, imported by load() in Node: a data artifact
// needed during a synchronous call is read and verified with them.
let nodeFs = null;
let nodeCrypto = null;

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
    this.detail = message;
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

// Engine handles (docs/abi.md, "Handles across instances"). The handles
// loadPolicy and loadTables answer are this Tollgate's, not its instance's:
// a registry keeps each loaded document's text under a handle, found by
// its text (content-addressed, as api.Session finds its documents), with a
// count of its loads. An instance loads a document the first time a call
// names its handle and maps the handle to its own; a replaced instance
// starts empty and loads only what its calls then need.

// MAX_HANDLE is the largest handle the api reads. No instance gives it out
// (api.Session runs out of handles one short of it), so a request naming
// a handle the registry does not know reaches the module with this one in
// its place: the module's strict decoder then judges the rest of the
// request first, as a session would, and its "no loaded ... with handle
// 4294967295" becomes the caller's handle's.
const MAX_HANDLE = 4294967295;
const PROBE = MAX_HANDLE;

// The request field in which each operation names its document.
const refField = Object.freeze({ pin: 'policy', password: 'policy', 'hash.verify': 'policy', 'hash.make': 'policy', signin: 'policy', dial: 'tables', lint: 'tables' });
const loadField = Object.freeze({ 'policy.load': 'policy', 'tables.load': 'tables' });

// unknownHandle is api.UnknownHandle's answer, byte for byte.
function unknownHandle(field, h) {
  const what = field === 'handle' ? 'document' : field;
  return `{"error":{"code":"bad_request","message":"no loaded ${what} with handle ${h}","field":"${field}"}}`;
}

const outOfHandles = '{"error":{"code":"bad_request","message":"this session has run out of handles"}}';

// isGoSpace is Go's unicode.IsSpace, which bytes.TrimSpace trims: a load's
// text is its document with that space trimmed.
function isGoSpace(c) {
  return c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function goTrim(s) {
  let i = 0;
  let j = s.length;
  while (i < j && isGoSpace(s.charCodeAt(i))) i++;
  while (j > i && isGoSpace(s.charCodeAt(j - 1))) j--;
  return i === 0 && j === s.length ? s : s.slice(i, j);
}

// docKey is a load's key in the registry (of its kind): the trimmed text
// of a document, or a name as JSON.stringify writes it (so "\u0063uc" is
// "cuc", as api.Session keys names by their value), and its body, the text
// an instance's load takes. null for a name JSON cannot read: the module
// refuses it.
function docKey(text) {
  const body = goTrim(text);
  if (body.charCodeAt(0) !== 34) return { key: body, body };
  try {
    const name = JSON.parse(body);
    if (typeof name === 'string') return { key: JSON.stringify(name), body };
  } catch {
    // not a name: the module says why
  }
  return null;
}

// A small reader of a request's top level, enough to find the member that
// names a handle and where its number is. It reads every valid JSON object
// (and some invalid ones, which the module then refuses); it validates
// nothing but the structure.

function skipSpace(s, i) {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

// endOfString is the index after the string literal whose quote is at i,
// or -1.
function endOfString(s, i) {
  for (let j = i + 1; ;) {
    const q = s.indexOf('"', j);
    if (q < 0) return -1;
    let b = q - 1;
    while (s.charCodeAt(b) === 92) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

// endOfValue is the index after the value that starts at i, or -1.
function endOfValue(s, i) {
  const c = s.charCodeAt(i);
  if (c === 34) return endOfString(s, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 34) {
        j = endOfString(s, j) - 1;
        if (j < 0) return -1;
      } else if (d === 123 || d === 91) {
        depth++;
      } else if ((d === 125 || d === 93) && --depth === 0) {
        return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  for (; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break;
  }
  return j > i ? j : -1;
}

// members reads the object text holds and returns how many members it
// has and the spans of the values of those whose key is want (keys
// decoded, as the module's decoder matches them): {count, spans: [{start,
// end}]}; null when text is not one object.
function members(text, want) {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 123) return notAnObject(text);
  i = skipSpace(text, i + 1);
  const out = { count: 0, spans: [] };
  if (text.charCodeAt(i) === 125) return skipSpace(text, i + 1) === text.length ? out : notAnObject(text);
  for (;;) {
    if (text.charCodeAt(i) !== 34) return notAnObject(text);
    const k = endOfString(text, i);
    if (k < 0) return notAnObject(text);
    let match = k - i - 2 === want.length && text.startsWith(want, i + 1);
    if (!match) {
      const esc = text.indexOf('\\', i);
      if (esc >= 0 && esc < k) {
        try {
          match = JSON.parse(text.slice(i, k)) === want;
        } catch {
          return notAnObject(text);
        }
      }
    }
    i = skipSpace(text, k);
    if (text.charCodeAt(i) !== 58) return notAnObject(text);
    const start = skipSpace(text, i + 1);
    const end = endOfValue(text, start);
    if (end < 0) return notAnObject(text);
    out.count++;
    if (match) out.spans.push({ start, end });
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 44) {
      i = skipSpace(text, i + 1);
    } else if (c === 125) {
      return skipSpace(text, i + 1) === text.length ? out : notAnObject(text);
    } else {
      return notAnObject(text);
    }
  }
}

// notAnObject is members' answer for a text it cannot read: null, which
// sends the text to the module as it is (the module refuses it). A text
// JSON.parse reads as an object would be this reader's bug, and the
// module would take its handle for one of its own: refused here instead.
function notAnObject(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    throw new TollgateError('internal', 'tollgate.js could not read the members of a request object');
  }
  return null;
}

// handleValue is the handle a number token names, as the api reads one
// (a whole number from 0 to MAX_HANDLE; "-0" is 0), or undefined.
function handleValue(tok) {
  if (!/^-?(?:0|[1-9][0-9]{0,9})$/.test(tok)) return undefined;
  if (tok.charCodeAt(0) === 45) return tok === '-0' ? 0 : undefined;
  const n = Number(tok);
  return n <= MAX_HANDLE ? n : undefined;
}

// handleRefs returns the members of a request that name a document by
// handle in field ([{start, end, h}]), or null when none does.
function handleRefs(text, field) {
  // A key can only spell field with an escape if the text has a backslash.
  if (!text.includes(field) && !text.includes('\\')) return null;
  // As JSON.stringify writes a request whose first member names the
  // document: that member is the one (any other of that name at the top is
  // a duplicate, which the module refuses).
  const head = field === 'policy' ? '{"policy":' : '{"tables":';
  if (text.startsWith(head)) {
    const end = endOfValue(text, head.length);
    const h = end < 0 ? undefined : handleValue(text.slice(head.length, end));
    return h === undefined ? null : [{ start: head.length, end, h }];
  }
  const ms = members(text, field);
  let refs = null;
  for (const m of ms?.spans ?? []) {
    const h = handleValue(text.slice(m.start, m.end));
    if (h !== undefined) (refs ??= []).push({ start: m.start, end: m.end, h });
  }
  return refs;
}

// rewrite replaces each ref's number in text with the number to[i] and
// returns the text and its edits (for fixOffsets).
function rewrite(text, refs, to) {
  let out = text;
  let shift = 0;
  const edits = [];
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i];
    const tok = String(to[i]);
    const start = r.start + shift;
    const oldLen = r.end - r.start;
    if (tok !== text.slice(r.start, r.end)) {
      out = out.slice(0, start) + tok + out.slice(start + oldLen);
      if (tok.length !== oldLen) edits.push({ start, oldLen, newLen: tok.length });
      shift += tok.length - oldLen;
    }
  }
  return { out, edits };
}

// utf8Length is the UTF-8 length of s (lone surrogates were escaped).
function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; } else n += 3;
  }
  return n;
}

// fixOffsets gives an error answer to a rewritten request the byte offsets
// of the request as it was sent ("at byte N" in JSON and UTF-8 errors).
function fixOffsets(answer, out, edits) {
  if (edits.length === 0 || !answer.startsWith('{"error":') || !answer.includes('at byte ')) return answer;
  const ends = edits.map((e) => ({ at: utf8Length(out.slice(0, e.start)) + e.newLen, delta: e.newLen - e.oldLen }));
  return answer.replace(/at byte (\d+)/g, (all, n) => {
    let off = Number(n);
    for (const e of ends) if (Number(n) >= e.at) off -= e.delta;
    return `at byte ${off}`;
  });
}

// Retry is a lazy load that failed: the instance (discarded) is what
// changed, not the document, so the call runs once more on a fresh
// instance. fault is the TollgateError, or answer the load's error answer.
class Retry {
  constructor(fault, answer) {
    this.fault = fault;
    this.answer = answer;
  }
}

function isFault(e) {
  return e instanceof TollgateError && (e.code === 'trap' || e.code === 'panic');
}

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
// application/wasm) falls back to compiling the bytes. With maxPages, the
// module's bytes are read first and its memory capped (limitMemory).
async function instantiate(source, imports, maxPages) {
  if (maxPages !== undefined) return WebAssembly.instantiate(limitMemory(await moduleBytes(source), maxPages), imports);
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

// moduleBytes reads a module source (all but a compiled one) as bytes.
async function moduleBytes(source) {
  if (source instanceof WebAssembly.Module) {
    throw new TollgateError('bad_option', 'memoryLimit needs the module as a URL, a path, bytes or a Response, not a compiled WebAssembly.Module', 'memoryLimit');
  }
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof source === 'string' || source instanceof URL) {
    if (isNode && (isFileURL(source) || !/^https?:/.test(String(source)))) {
      const url = source instanceof URL || isFileURL(source) ? source : new URL(source, `file://${process.cwd()}/`);
      return new Uint8Array(await readModule(url));
    }
    source = fetch(source);
  }
  const response = await source;
  if (!response.ok) {
    throw new TollgateError('load', `fetching the module failed: HTTP ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

function uleb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * Returns a copy of a module's bytes whose memory may grow to at most pages
 * 64 KiB pages, the cap wazero's WithMemoryLimitPages puts on the Go host's
 * instances: the memory section's limits get that maximum (or keep a
 * smaller one). A module that needs more to start is refused.
 */
function limitMemory(bytes, pages) {
  const b = bytes;
  const bad = (what) => new TollgateError('load', `not a module whose memory can be capped: ${what}`);
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw bad('no WebAssembly magic');
  let p = 8;
  const leb = () => {
    let r = 0;
    let scale = 1;
    for (;;) {
      if (p >= b.length) throw bad('truncated');
      const x = b[p++];
      r += (x & 0x7f) * scale;
      scale *= 128;
      if (!(x & 0x80)) return r;
    }
  };
  while (p < b.length) {
    const start = p;
    const id = b[p++];
    const size = leb();
    const body = p;
    if (id === 5) {
      if (leb() !== 1) throw bad('more than one memory');
      const flags = leb();
      const min = leb();
      const max = flags & 1 ? leb() : Infinity;
      if (p !== body + size) throw bad('a memory section of another shape');
      if (min > pages) {
        throw new TollgateError('bad_option', `memoryLimit: the module needs ${min} pages (${min * 64} KiB) to start; the limit is ${pages}`, 'memoryLimit');
      }
      const payload = [...uleb(1), ...uleb(flags | 1), ...uleb(min), ...uleb(Math.min(max, pages))];
      const head = [5, ...uleb(payload.length)];
      const tail = b.subarray(body + size);
      const out = new Uint8Array(start + head.length + payload.length + tail.length);
      out.set(b.subarray(0, start));
      out.set(head, start);
      out.set(payload, start + head.length);
      out.set(tail, start + head.length + payload.length);
      return out;
    }
    p = body + size;
  }
  throw bad('it defines no memory of its own');
}

// memoryPages reads the memoryLimit option (bytes) as 64 KiB pages,
// rounded down as Go's WithMemoryLimit does.
function memoryPages(limit) {
  if (limit === undefined) return undefined;
  if (!Number.isSafeInteger(limit) || limit < 65536) {
    throw new TollgateError('bad_option', 'memoryLimit: want a whole number of bytes, at least 65536 (one page)', 'memoryLimit');
  }
  return Math.min(Math.floor(limit / 65536), 65536);
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
  const pages = memoryPages(options.memoryLimit);
  if (pages !== undefined && options.env?.GOMEMLIMIT === undefined) {
    // As the Go host does: the collector tightens at three quarters of the
    // cap instead of growing the heap into it.
    options = { ...options, env: { ...options.env, GOMEMLIMIT: String(Math.floor(pages * 65536 / 4 * 3)) } };
  }
  const engine = new RegexEngine(options);
  await prepareNode();
  const wasi = newWASI(options);
  const table = new RegexTable(engine);
  // With regex: true the regex module compiles while the main one does.
  const [{ module, instance }, data] = await Promise.all([
    instantiate(checkoutURL(options.module ?? defaultModuleURL), importObject(wasi, table), pages),
    readData(options.data),
    engine.mode === true ? engine.enable() : null,
    isNode && !nodeCrypto ? Promise.all([nodeImport('node:fs'), nodeImport('node:crypto')]).then(([f, c]) => { nodeFs = f; nodeCrypto = c; }) : null,
  ]);
  const tg = new Tollgate(module, instance, wasi, options, engine, table, data.loaded, data.lazy);
  if (options.lang && options.lang !== 'en') await tg.setLang(options.lang);
  tg.loadMillis = performance.now() - t0;
  return tg;
}

/** One module instance and its session (loaded policies and tables). */
export class Tollgate {
  constructor(module, instance, wasi, options = {}, engine = new RegexEngine(options), table = new RegexTable(engine), data = [], lazy = new Map()) {
    this.module = module;
    this._regex = engine;
    this.lang = 'en';
    this.loadMillis = 0;
    this._options = options;
    this._enc = new TextEncoder();
    this._dec = new TextDecoder('utf-8', { fatal: false });
    this._data = data; // verified artifacts, {name, version, payload}, given to every instance
    // Artifacts not read yet, by name -> source (URL, path, bytes): each is
    // read the first time the module answers that an operation needs it
    // (data_missing), and then belongs to _data. _pending: reads under way.
    this._lazy = new Map([...lazy].filter(([name]) => !data.some((d) => d.name === name)));
    this._pending = new Map();
    this._missing = null; // the lazy artifact the last call lacked (see callText)
    // The loaded documents (engine handles, above): docs by handle
    // ({op, field, key, body, refs, answer}), handles by key for each kind,
    // and gen, which counts documents gone for good.
    this._reg = { next: 0, docs: new Map(), byKey: { 'policy.load': new Map(), 'tables.load': new Map() }, gen: 0 };
    this._stats = { instances: 0, calls: 0, loads: 0 };
    this._epoch = 0; // bumps with every instance
    this._bind(instance, wasi, table);
  }

  /** The data artifacts loaded into the module: [{name, version}]. */
  get data() {
    return this._data.map(({ name, version }) => ({ name, version }));
  }

  /** The names of the data artifacts not read yet, which an operation that needs one reads. */
  get dataPending() {
    return [...this._lazy.keys()];
  }

  /**
   * Reads, verifies and loads the data artifact name now (fetched in
   * browsers), as the first operation that needs it would. Resolves at once
   * when it is loaded.
   */
  async loadData(name) {
    if (this._data.some((d) => d.name === name)) return;
    const src = this._lazy.get(name);
    if (src === undefined) throw new TollgateError('bad_option', `no data artifact "${name}" to load (known: ${[...this._lazy.keys(), ...this._data.map((d) => d.name)].join(', ') || 'none'})`, 'data');
    let p = this._pending.get(name);
    if (p === undefined) {
      p = readBytes(src).then(async (bytes) => artifactOf(name, await parseOrThrow(bytes)));
      this._pending.set(name, p);
      p.catch(() => this._pending.delete(name)); // a failed read may be tried again
    }
    const a = await p;
    if (this._lazy.has(name)) this._addData(a);
  }

  // _loadDataSync reads artifact name during a synchronous call, where
  // that can be done synchronously: a local file in Node. It returns false
  // where it cannot (a browser, a URL): the call then answers data_missing
  // and the async entry points read it.
  _loadDataSync(name) {
    const src = this._lazy.get(name);
    if (!isNode || !nodeFs || !(src instanceof URL || typeof src === 'string') || /^https?:/.test(String(src))) return false;
    const url = src instanceof URL || isFileURL(src) ? src : new URL(src, `file://${process.cwd()}/`);
    if (url.protocol !== 'file:') return false;
    let bytes;
    try {
      bytes = nodeFs.readFileSync(url);
    } catch (e) {
      throw new TollgateError('load', `cannot read the data artifact ${decodeURIComponent(url.pathname)}: ${e.code || e.message}`, 'data');
    }
    let a;
    try {
      a = parseArtifactSync(bytes, nodeCrypto ? (b) => nodeCrypto.createHash('sha256').update(b).digest() : undefined);
    } catch (e) {
      if (e instanceof DataError) throw new TollgateError('bad_data', e.message, 'data');
      throw e;
    }
    this._addData(artifactOf(name, a));
    return true;
  }

  // _addData makes a verified artifact the instance's and every later one's.
  _addData(a) {
    this._loadData(a);
    this._data.push(a);
    this._lazy.delete(a.name);
  }

  // _lacks returns the name of the not-yet-read artifact an answer says it
  // lacked (the module's data_missing names it: "the \"name\" data
  // artifact"), or null.
  _lacks(answer) {
    if (this._lazy.size === 0 || !answer.startsWith('{"error":') || !answer.includes('"data_missing"')) return null;
    const m = /\\"([a-z0-9-]+)\\" data artifact/.exec(answer);
    return m !== null && this._lazy.has(m[1]) ? m[1] : null;
  }

  // _withData runs fn (a synchronous entry point) and, when it lacked a
  // data artifact that is to be read lazily, reads it and runs fn again.
  async _withData(fn) {
    for (let i = 0; ; i++) {
      this._missing = null;
      let out, err, failed = false;
      try {
        out = fn();
      } catch (e) {
        err = e;
        failed = true;
      }
      const name = this._missing;
      if (name === null || i >= 4) {
        if (failed) throw err;
        return out;
      }
      await this.loadData(name);
    }
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
    // A new instance holds no document: engine handle -> its own.
    this._local = new Map();
    this._pruned = this._reg.gen;
    this._used = false; // whether it has run a call (a fresh one has not)
    this._epoch++;
    this._stats.instances++;
  }

  /**
   * Counters for diagnostics and tests: instances made (the first and each
   * replacement), calls into the module's call export, documents loaded
   * into instances (first loads and lazy ones), documents loaded (engine
   * handles), and those the current instance holds.
   */
  get stats() {
    return { ...this._stats, documents: this._reg.docs.size, resident: this._local.size };
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

  // _callFailed is the error of a call that threw: a TollgateError as is;
  // otherwise a trap (or proc_exit) has left the instance undefined, so it
  // is replaced, never reused, and the error says so.
  _callFailed(e, op) {
    if (e instanceof TollgateError) return e;
    this._replace();
    if (e instanceof ModuleFailed) return new TollgateError('panic', `the module failed before ${JSON.stringify(op)} and was replaced`);
    return new TollgateError('trap', `the module trapped during ${JSON.stringify(op)} and was replaced (${e instanceof WasiExit ? 'exit' : e.name})`);
  }

  // _replace discards an instance (faulted, or spent) for a fresh one from
  // the same compiled module, which loads documents as its calls need them.
  _replace() {
    const wasi = newWASI(this._options);
    const table = new RegexTable(this._regex);
    this._bind(new WebAssembly.Instance(this.module, importObject(wasi, table)), wasi, table);
  }

  /**
   * Runs op with the JSON request text and returns the response text as the
   * module produced it (an {"error": ...} object when the operation could
   * not run), with this Tollgate's handles in place of the instance's.
   * Throws TollgateError only for faults of the module.
   */
  callText(op, requestText) {
    const answer = this._callText(op, requestText);
    const name = this._lacks(answer);
    if (name === null) return answer;
    if (this._loadDataSync(name)) return this._callText(op, requestText);
    // Not readable synchronously (a browser): the async entry points read
    // it; this answer says so.
    this._missing = name;
    const res = JSON.parse(answer);
    res.error.message += ` (the JS package reads ${name}.tgd when first needed, which a synchronous call cannot wait for: await tg.loadData('${name}'), or use the async entry points checkPasswordAsync, loadTablesAsync, lintAsync, dialAsync, callAsync)`;
    return JSON.stringify(res);
  }

  _callText(op, requestText) {
    const text = escapeLoneSurrogates(requestText);
    if (loadField[op] !== undefined) return this._load(op, text);
    if (op === 'unload') return this._unload(text);
    const field = refField[op];
    const refs = field === undefined ? null : handleRefs(text, field);
    if (refs === null) {
      this._prune();
      return this._raw(op, text);
    }
    return this._withHandles(op, text, field, refs);
  }

  // _withHandles runs a request that names documents by handle: each
  // becomes the instance's own handle (loading the document first when the
  // instance lacks it), or PROBE when the registry does not know it.
  _withHandles(op, text, field, refs) {
    for (let attempt = 0; ; attempt++) {
      this._prune();
      let unknown = -1;
      let same = true;
      const to = new Array(refs.length);
      try {
        for (let i = 0; i < refs.length; i++) {
          const h = refs[i].h;
          const d = this._reg.docs.get(h);
          if (d === undefined || d.field !== field) {
            unknown = h;
            to[i] = PROBE;
          } else {
            to[i] = this._localHandle(h, d);
          }
          if (to[i] !== h || refs[i].end - refs[i].start !== String(h).length) same = false;
        }
      } catch (e) {
        if (!(e instanceof Retry)) throw e;
        if (attempt === 0) continue;
        if (e.fault) throw e.fault;
        return e.answer;
      }
      // Most often the instance's handle is the caller's (one instance,
      // loaded in order): the text goes as it is.
      if (same) return this._raw(op, text);
      const req = rewrite(text, refs, to);
      const answer = fixOffsets(this._raw(op, req.out), req.out, req.edits);
      return unknown >= 0 && answer === unknownHandle(field, PROBE) ? unknownHandle(field, unknown) : answer;
    }
  }

  // _localHandle is the instance's handle for engine handle h (document
  // d), loading d into the instance first when it does not hold it. A load
  // that fails discards the instance and throws Retry.
  _localHandle(h, d) {
    const have = this._local.get(h);
    if (have !== undefined) return have;
    const epoch = this._epoch;
    let answer;
    try {
      answer = this._raw(d.op, d.body);
    } catch (e) {
      if (!(e instanceof TollgateError)) throw e;
      if (this._epoch === epoch) this._replace();
      throw new Retry(e, null);
    }
    this._stats.loads++;
    const m = /^\{"handle":(\d+)[,}]/.exec(answer);
    if (m === null || this._epoch !== epoch) {
      if (this._epoch === epoch) this._replace();
      throw new Retry(null, m === null ? answer : null);
    }
    const lh = Number(m[1]);
    this._local.set(h, lh);
    return lh;
  }

  // _prune drops from the instance the documents unloaded since it last
  // ran a call.
  _prune() {
    if (this._pruned === this._reg.gen) return;
    const local = this._local;
    for (const [h, lh] of local) {
      if (this._reg.docs.has(h)) continue;
      try {
        this._raw('unload', `{"handle":${lh}}`);
      } catch (e) {
        if (!(e instanceof TollgateError)) throw e;
        if (this._local !== local) return; // replaced: the new one holds nothing
        this._replace();
        return;
      }
      local.delete(h);
    }
    this._pruned = this._reg.gen;
  }

  // _load runs policy.load or tables.load. A document the registry holds
  // counts one more load and answers its handle without calling the
  // module; another is loaded into the instance and gets the next handle.
  _load(op, text) {
    const k = docKey(text);
    const byKey = this._reg.byKey[op];
    if (k !== null) {
      const h = byKey.get(k.key);
      if (h !== undefined) {
        const d = this._reg.docs.get(h);
        d.refs++;
        return d.answer;
      }
    }
    for (let attempt = 0; ; attempt++) {
      this._prune();
      const used = this._used;
      const epoch = this._epoch;
      const rtable = this._rtable;
      let answer;
      try {
        answer = this._raw(op, text);
      } catch (e) {
        // A load that faults in a used instance may have failed for what
        // that instance held (its memory): once more on a fresh one.
        if (attempt === 0 && used && isFault(e)) continue;
        throw e;
      }
      const m = /^\{"handle":(\d+)[,}]/.exec(answer);
      if (m === null) {
        // Likewise the regular-expression limit of a used instance.
        if (attempt === 0 && used && rtable.full) continue;
        return answer;
      }
      const lh = Number(m[1]);
      const sameInstance = this._epoch === epoch;
      this._stats.loads++;
      if (this._reg.next >= MAX_HANDLE) {
        if (sameInstance) this._drop(lh);
        return outOfHandles;
      }
      const h = this._reg.next++;
      const d = { op, field: loadField[op], key: k?.key, body: k ? k.body : text, refs: 1, answer: `{"handle":${h}${answer.slice(m[0].length - 1)}` };
      this._reg.docs.set(h, d);
      if (k !== null) byKey.set(k.key, h);
      if (sameInstance) this._local.set(h, lh);
      return d.answer;
    }
  }

  // _drop unloads the instance's handle lh (a fault replaces the instance).
  _drop(lh) {
    try {
      this._raw('unload', `{"handle":${lh}}`);
    } catch (e) {
      if (!(e instanceof TollgateError)) throw e;
    }
  }

  // _unload runs unload: the request is the module's to judge (it gets
  // PROBE in place of the handle, which it holds no document for), the
  // handle the registry's.
  _unload(text) {
    const ms = members(text, 'handle');
    let refs = null;
    let h = -1;
    if (ms !== null && ms.count === 0) return this._unloadHandle(0); // {}: handle 0, as the api reads it
    for (const m of ms?.spans ?? []) {
      const tok = text.slice(m.start, m.end);
      const v = tok === 'null' ? 0 : handleValue(tok);
      if (v !== undefined) {
        (refs ??= []).push(m);
        h = v;
      }
    }
    this._prune();
    if (refs === null) return this._raw('unload', text); // no handle: the module says what is wrong
    const req = rewrite(text, refs, refs.map(() => PROBE));
    const answer = fixOffsets(this._raw('unload', req.out), req.out, req.edits);
    return answer === unknownHandle('handle', PROBE) ? this._unloadHandle(h) : answer;
  }

  // _unloadHandle drops one load of engine handle h; the document goes with
  // the last, and instances drop it when they next run a call.
  _unloadHandle(h) {
    const d = this._reg.docs.get(h);
    if (d === undefined) return unknownHandle('handle', h);
    if (--d.refs > 0) return '{}';
    this._reg.docs.delete(h);
    if (d.key !== undefined) this._reg.byKey[d.op].delete(d.key);
    this._reg.gen++;
    return '{}';
  }

  // _raw sends one request to the instance as it is: the crossing.
  _raw(op, requestText) {
    this._stats.calls++;
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
      throw this._callFailed(e, op);
    }
    if (status === abi.status.OK || status === abi.status.OP_ERROR) {
      const ptr = x.buf_ptr(); // the reply may have grown (moved) the buffer
      if (ptr === 0) {
        this._replace();
        throw new TollgateError('panic', `the module failed after ${JSON.stringify(op)} and was replaced`);
      }
      const text = this._dec.decode(this._view().subarray(ptr, ptr + n));
      this._used = true;
      // An instance that reached the regex limit starts over, as under the
      // Go host: a fresh one, which loads what its calls need.
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
   * Runs op with a request of raw bytes (the audit's chunks, docs/abi.md
   * "Audit") and returns a copy of the response's bytes; the api's error
   * ({"error": ...}, status op_error) is thrown as a TollgateError. The
   * epoch property of the result says which instance answered: an audit
   * whose instance was replaced mid-way must start over. With view true
   * the answer is not copied: it is a view of the module's memory, valid
   * only until the next call (the audit parses each chunk's answer at once,
   * so a million-row file makes no answer buffers to collect).
   */
  callBytes(op, bytes, view = false) {
    this._stats.calls++;
    const x = this._x;
    let status, n;
    try {
      const opb = this._enc.encode(op);
      const need = opb.length + bytes.length;
      if (need > abi.MAX_BUF) throw new TollgateError('too_large', `request of ${need} bytes exceeds the module's ${abi.MAX_BUF}`);
      if (x.buf_cap() < need) {
        const st = x.buf_reserve(need);
        if (st !== abi.status.OK) throw new TollgateError(abi.statusNames[st] ?? 'unknown', `reserving ${need} bytes failed`);
      }
      const ptr = x.buf_ptr();
      if (ptr === 0 || x.buf_cap() === 0) throw new ModuleFailed();
      const mem = this._view();
      mem.set(opb, ptr);
      mem.set(bytes, ptr + opb.length);
      [status, n] = abi.unpackCall(x.call(opb.length, bytes.length));
    } catch (e) {
      throw this._callFailed(e, op);
    }
    if (status === abi.status.OK || status === abi.status.OP_ERROR) {
      const ptr = x.buf_ptr();
      if (ptr === 0) {
        this._replace();
        throw new TollgateError('panic', `the module failed after ${JSON.stringify(op)} and was replaced`);
      }
      const out = view ? this._view().subarray(ptr, ptr + n) : this._view().slice(ptr, ptr + n);
      this._used = true;
      if (status === abi.status.OP_ERROR) {
        const err = JSON.parse(this._dec.decode(out)).error ?? {};
        throw new TollgateError(err.code ?? 'op_error', err.message ?? `${op} failed`, err.field);
      }
      return out;
    }
    if (status === abi.status.PANIC) {
      this._replace();
      throw new TollgateError('panic', `the module panicked during ${JSON.stringify(op)} and was replaced`);
    }
    throw new TollgateError(abi.statusNames[status] ?? 'unknown', `call ${JSON.stringify(op)} failed with status ${status}`);
  }

  /** Which module instance is current: it changes when one is replaced. */
  get epoch() {
    return this._epoch;
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

  /**
   * Validates a policy (profile name or object) and returns {handle, name}.
   * The same policy loaded again gets the same handle (counted once more,
   * without calling the module).
   */
  loadPolicy(policy) {
    return this._do('policy.load', policy);
  }

  /** Validates restriction tables (built-in set name or object); returns {handle, tables}. Likewise. */
  loadTables(tables) {
    return this._do('tables.load', tables);
  }

  /**
   * Drops one load of a handle from loadPolicy or loadTables; the document
   * goes with the last, and its handle is then unknown (handles are never
   * reused).
   */
  unload(handle) {
    if (Number.isInteger(handle) && handle >= 0 && handle <= MAX_HANDLE) {
      const answer = this._unloadHandle(handle);
      if (answer !== '{}') {
        const e = JSON.parse(answer).error;
        throw new TollgateError(e.code, e.message, e.field);
      }
      return;
    }
    this._do('unload', { handle });
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
   * module's scalar dial export: no JSON, one crossing, under a microsecond.
   * tables is a handle from loadTables; table a table's name, or '' (the
   * default) for the set's default table, which dial() picks when a request
   * names none. The function returns {allowed, reason, normalized, alt,
   * row} (row -1 when no row decided); the table's name and the row's
   * pattern are in dial()'s answer. It follows the instance: after a
   * replacement it loads the tables into the new one on its next call.
   */
  dialer(tables, table = '') {
    if (!Number.isInteger(tables)) throw new TollgateError('bad_request', 'dialer needs a tables handle from loadTables', 'tables');
    const name = this._enc.encode(String(table));
    let epoch = -1;
    let gen = -1;
    let lh = 0;
    let index = 0;
    const resolve = () => {
      for (let attempt = 0; ; attempt++) {
        this._prune();
        const d = this._reg.docs.get(tables);
        if (d === undefined || d.field !== 'tables') throw new TollgateError('no_handle', `no loaded tables with handle ${tables}`, 'tables');
        try {
          lh = this._localHandle(tables, d);
        } catch (e) {
          if (!(e instanceof Retry)) throw e;
          if (attempt === 0) continue;
          if (e.fault) throw e.fault;
          const err = JSON.parse(e.answer).error;
          throw new TollgateError(err.code, err.message, err.field);
        }
        index = this._scalar('table_index', (x, ptr) => {
          this._view().set(name, ptr);
          return x.table_index(lh, name.length);
        });
        epoch = this._epoch;
        gen = this._reg.gen;
        return;
      }
    };
    resolve();
    return (number) => {
      if (epoch !== this._epoch || gen !== this._reg.gen) resolve();
      return abi.unpackDial(this._scalar('dial', (x, ptr, cap) => {
        const w = this._enc.encodeInto(String(number), this._view().subarray(ptr, ptr + cap));
        if (w.read < String(number).length) throw new TollgateError('too_large', 'the number does not fit the scratch buffer');
        return x.dial(lh, index, w.written);
      }));
    };
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
      this._used = true;
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

  /** loadTables, after loading the regex module and the destination data if the tables need them. */
  async loadTablesAsync(tables) {
    await this._regexFor(tables);
    return this._withData(() => this.loadTables(tables));
  }

  /** lint, after loading the regex module and the destination data if the tables need them. */
  async lintAsync(tables) {
    await this._regexFor(tables);
    return this._withData(() => this.lint(tables));
  }

  /** dial, after loading the regex module and the destination data if inline tables need them. */
  async dialAsync(number, options = {}) {
    await this._regexFor(options.tables);
    return this._withData(() => this.dial(number, options));
  }

  /** checkPassword, after loading the breached-password list if the policy's blocklist needs it. */
  async checkPasswordAsync(password, context = {}, options = {}) {
    return this._withData(() => this.checkPassword(password, context, options));
  }

  /** call, after loading the regex module and any data artifact the request needs. */
  async callAsync(op, request = {}) {
    await this._regexFor(request);
    return this._withData(() => this.call(op, request));
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

// readData resolves option data: undefined (defaultDataURLs) or an object
// {name: source} names artifacts to read lazily, when an operation first
// needs one; an array of URLs, paths, bytes or fetch Responses is read and
// verified now; false is none (then a policy with the password blocklist
// on, or a tables document with a region, fails with data_missing). Each
// is read as the module is: from disk in Node, fetched in browsers.
async function readData(option) {
  if (option === false) return { loaded: [], lazy: new Map() };
  if (option === undefined) {
    return { loaded: [], lazy: new Map(Object.entries(defaultDataURLs).map(([name, u]) => [name, checkoutURL(u)])) };
  }
  if (!Array.isArray(option)) {
    if (option === null || typeof option !== 'object' || ArrayBuffer.isView(option) || option instanceof ArrayBuffer || option instanceof URL) {
      throw new TollgateError('bad_option', 'data: want an array of artifacts (URLs, paths, bytes), an object of them by name, or false', 'data');
    }
    for (const name of Object.keys(option)) {
      if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new TollgateError('bad_option', `data: ${JSON.stringify(name)} is not an artifact name`, 'data');
    }
    return { loaded: [], lazy: new Map(Object.entries(option)) };
  }
  const loaded = await Promise.all(option.map(async (src) => parseOrThrow(await readBytes(src))));
  return { loaded, lazy: new Map() };
}

async function parseOrThrow(bytes) {
  try {
    return await parseArtifact(bytes);
  } catch (e) {
    if (e instanceof DataError) throw new TollgateError('bad_data', e.message, 'data');
    throw e;
  }
}

// artifactOf checks that an artifact read for name is that one.
function artifactOf(name, a) {
  if (a.name !== name) throw new TollgateError('bad_data', `the data artifact read for "${name}" is named "${a.name}"`, 'data');
  return a;
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
