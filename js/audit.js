// The audit of a user export in JS: the same audit `tollgate audit` runs,
// inside the same module (docs/abi.md, "Audit"). The module decodes the
// file, reads its CSV and checks every row; this host only reads the bytes
// in chunks, hands each to the module (one crossing per chunk), merges the
// shared-PIN digests of the first pass, adds up the summary from the
// records and writes the reports (audit-report.js). In a browser audit()
// runs in a Web Worker (audit-worker.js), so the page stays responsive; the
// file never leaves the page.
//
//   import { audit } from '@tollgate/tollgate/audit';
//   const { records, summary } = await audit(file, { onProgress: (p) => bar.value = p.fraction, signal });

import { TollgateError, load, auditModuleURL } from './tollgate.js';
import { newSummary, addRecord, JSONLinesReport, CSVReport, HTMLReport, scriptHash, approx, pbkdf2What, group, goG3, wholeSeconds } from './audit-report.js';

export { summaryJSON, recordJSON, sorted, barChart, JSONLinesReport, CSVReport, HTMLReport, NO_COS, codes } from './audit-report.js';

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** How many bytes of the file go to the module per crossing. */
export const DEFAULT_CHUNK = 256 << 10;

/** The export.Field numbers a digest item names (docs/abi.md, "Items"). */
export const digestFields = Object.freeze({ pin: 6, pinHash: 8 });

// --- items (docs/abi.md, "Items") ---

// ignoreBOM: a U+FEFF the module sends is text (an alias "\uFEFFadmin" is
// not "admin"); the file's own mark never reaches the items.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const SHORT = 128; // bytes: an ASCII string up to this long is decoded in JS

class Items {
  constructor(b) { this.b = b; this.i = 0; }
  more() { return this.i < this.b.length; }
  u8() {
    if (this.i >= this.b.length) throw bad('an item is cut short');
    return this.b[this.i++];
  }
  uv() {
    let v = 0;
    let mul = 1;
    for (;;) {
      const c = this.u8();
      v += (c & 0x7f) * mul;
      if (c < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 49) throw bad('an integer is too long');
    }
  }
  // str decodes the short ASCII strings that are nearly all of an answer's
  // (user ids, classes of service, codes, fields, messages) without
  // TextDecoder: Chromium makes a Blink options object for every decode()
  // call, which only the worker's next full collection frees (25 MB of its
  // heap mid-audit at 1 M rows, docs/performance.md).
  str() {
    const n = this.uv();
    const b = this.b;
    const i = this.i;
    if (i + n > b.length) throw bad('a string is cut short');
    this.i = i + n;
    if (n === 0) return '';
    if (n <= SHORT) {
      let k = i;
      while (k < i + n && b[k] < 0x80) k++;
      if (k === i + n) return String.fromCharCode.apply(null, b.subarray(i, i + n));
    }
    return utf8.decode(b.subarray(i, i + n));
  }
  u32() {
    if (this.i + 4 > this.b.length) throw bad('a digest is cut short');
    const b = this.b;
    const v = (b[this.i] | (b[this.i + 1] << 8) | (b[this.i + 2] << 16) | (b[this.i + 3] << 24)) >>> 0;
    this.i += 4;
    return v;
  }
}

function bad(what) {
  return new TollgateError('bad_items', `the module's audit answer is malformed: ${what}`);
}

const KIND_HEADER = 0x48;
const KIND_RECORD = 0x52;
const KIND_DIGESTS = 0x44;
const KIND_NOTE = 0x4e;
const KIND_END = 0x45;
const KIND_PBKDF2 = 0x50;

/**
 * parseItems reads one audit.rows answer: calls on.record(r), on.digest(field,
 * lo, hi), on.pbkdf2(line, field, scheme, iterations, candidates),
 * on.header(line, info), on.note(text) and on.end(info) in order.
 */
export function parseItems(bytes, on) {
  const it = new Items(bytes);
  while (it.more()) {
    const kind = it.u8();
    switch (kind) {
      case KIND_RECORD: {
        const line = it.uv();
        const alias = it.str();
        const cos = it.str();
        const n = it.uv();
        const findings = new Array(n);
        for (let k = 0; k < n; k++) findings[k] = { code: it.str(), field: it.str(), message: it.str() };
        const r = cos === '' ? { line, alias, findings } : { line, alias, cos, findings };
        on.record(r);
        break;
      }
      case KIND_DIGESTS: {
        it.uv(); // line
        const n = it.u8();
        for (let k = 0; k < n; k++) {
          const field = it.u8();
          const lo = it.u32();
          const hi = it.u32();
          on.digest(field, lo, hi);
        }
        break;
      }
      case KIND_HEADER: {
        const line = it.uv();
        on.header(line, JSON.parse(it.str()));
        break;
      }
      case KIND_PBKDF2: {
        const line = it.uv();
        const field = it.u8();
        const scheme = it.u8();
        const iterations = it.uv();
        const candidates = it.uv();
        on.pbkdf2?.(line, field, scheme, iterations, candidates);
        break;
      }
      case KIND_NOTE:
        on.note(it.str());
        break;
      case KIND_END:
        on.end(JSON.parse(it.str()));
        break;
      default:
        throw bad(`unknown item kind 0x${kind.toString(16)}`);
    }
  }
}

// --- shared PINs: the first pass's digests, counted on the host ---

/**
 * DigestCounter is the Go hosts' shared-PIN table (internal/auditcore's
 * Table) in typed arrays: a digest's key is its 64 bits with the low 8
 * cleared (0 becomes 0x100), whatever its field; counts saturate at 255;
 * 9 bytes a slot at most three quarters full, so a million distinct PINs
 * cost 19 MB, not a Map of strings. pins and records count the values of a
 * PIN and of a stored PIN record whose count reached 2, as the Go host does.
 */
export class DigestCounter {
  constructor(bits = 12) {
    this._alloc(bits);
    this.distinct = 0;
    this.pins = 0;
    this.records = 0;
    this.hashRecords = 0; // stored PIN records seen (the exhaustive estimate)
  }
  _alloc(bits) {
    this.bits = bits;
    this.lo = new Uint32Array(1 << bits); // 0: an empty slot (a key's lo is never 0 with hi 0: 0x100)
    this.hi = new Uint32Array(1 << bits);
    this.count = new Uint8Array(1 << bits);
  }
  _find(lo, hi) {
    const mask = (1 << this.bits) - 1;
    let i = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> (32 - this.bits)) & mask;
    for (;;) {
      if (this.count[i] === 0 || (this.lo[i] === lo && this.hi[i] === hi)) return i;
      i = (i + 1) & mask;
    }
  }
  /** Counts one more holder of the digest (lo, hi) of field; returns the count so far. */
  add(field, lo, hi) {
    lo = (lo & ~0xff) >>> 0;
    if (lo === 0 && hi === 0) lo = 0x100;
    if (4 * (this.distinct + 1) > 3 << this.bits) this._grow();
    const i = this._find(lo, hi);
    if (this.count[i] === 0) {
      this.lo[i] = lo; this.hi[i] = hi;
      this.distinct++;
    }
    if (this.count[i] < 255) this.count[i]++;
    const n = this.count[i];
    if (field === digestFields.pinHash) this.hashRecords++;
    if (n === 2) {
      if (field === digestFields.pin) this.pins++;
      else this.records++;
    }
    return n;
  }
  _grow() {
    const { lo, hi, count } = this;
    this._alloc(this.bits + 1);
    for (let j = 0; j < count.length; j++) {
      if (count[j] === 0) continue;
      const i = this._find(lo[j], hi[j]);
      this.lo[i] = lo[j]; this.hi[i] = hi[j]; this.count[i] = count[j];
    }
    free(lo, hi, count);
  }
  /** Frees the table's memory now; the counter is unusable after. */
  release() {
    free(this.lo, this.hi, this.count);
    this.lo = this.hi = this.count = null;
  }
  /** The audit.shared requests: n × (u8 field 0, u64 LE key, u8 count) for counts ≥ 2, each under max bytes. */
  *shared(max = 1 << 20) {
    const per = 10;
    let out = new Uint8Array(Math.max(per, Math.min(max, per * 1024)));
    let n = 0;
    for (let i = 0; i < this.count.length; i++) {
      if (this.count[i] < 2) continue;
      if (n + per > out.length) {
        if (out.length + per <= max) {
          const g = new Uint8Array(Math.min(max, out.length * 2));
          g.set(out.subarray(0, n));
          out = g;
        } else {
          yield out.subarray(0, n);
          out = new Uint8Array(out.length);
          n = 0;
        }
      }
      const lo = this.lo[i];
      const hi = this.hi[i];
      out[n] = 0;
      for (let k = 0; k < 4; k++) { out[n + 1 + k] = (lo >>> (8 * k)) & 255; out[n + 5 + k] = (hi >>> (8 * k)) & 255; }
      out[n + 9] = this.count[i];
      n += per;
    }
    if (n > 0) yield out.subarray(0, n);
  }
}

// free gives typed arrays' memory back at once where the engine can
// (ArrayBuffer.prototype.transfer detaches the buffer), not at the worker's
// next full collection: the table's old and last arrays (19 MB for a
// million distinct values) otherwise stay resident into the check pass.
function free(...arrays) {
  for (const a of arrays) a.buffer.transfer?.(0);
}

// --- PBKDF2 records: what they cost (audit/pbkdf2.go) ---

const PBKDF2_WARN = 5; // seconds: the estimate from which a note says so

// secondsPer is what a unit of scheme's work costs in tg's module
// (audit.rates, auditcore.Rate): one verification of an unsalted SHA-1
// record (SCHEME_SHA, the exhaustive search's unit) or one iteration of a
// PBKDF2 scheme. The estimates are made at the speed the work runs at,
// in the module: WebCrypto's native PBKDF2 is 10 to 30 times faster, and
// made them that much low. Measured once per instance and scheme.
const SCHEME_SHA = 1;
const RATE_GUESS = 1e-6; // auditcore's pessimistic guess, if the module cannot say
const rates = new WeakMap(); // tg → Map(scheme → seconds)
function secondsPer(tg, scheme) {
  let m = rates.get(tg);
  if (!m) rates.set(tg, (m = new Map()));
  if (!m.has(scheme)) {
    let per = RATE_GUESS;
    try {
      const b = tg.callBytes('audit.rates', Uint8Array.of(scheme));
      const v = b.length === 8 ? new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true) : 0;
      if (v > 0 && Number.isFinite(v)) per = v;
    } catch { /* keep the guess */ }
    m.set(scheme, per);
  }
  return m.get(scheme);
}

// exhaustiveNote is the Go host's note (checker.estimate) on what the
// exhaustive search will cost, given before it starts: search is the
// header's "exhaustive", records the stored PIN records (-1: the input is
// read once, so not known), per an unsalted SHA-1 verification's cost. A
// record is searched on the one worker.
function exhaustiveNote(search, records, per) {
  const rate = 1 / per;
  const secs = search.candidates * per;
  const lens = `${search.min_length} to ${search.max_length} digits`;
  const at = `${goG3(rate)} unsalted SHA-1 verifications/s per worker on 1 workers; salted and PBKDF2 records cost more`;
  if (records < 0) {
    return `audit: --exhaustive: up to ${goG3(search.candidates)} PINs (${lens}) per stored PIN record, about ${wholeSeconds(secs)} per record at ${at}`;
  }
  return `audit: --exhaustive: ${records} stored PIN records × up to ${goG3(search.candidates)} PINs (${lens}) each: up to ${wholeSeconds(secs * records)} at ${at}`;
}

class PBKDF2Tally {
  // per(scheme) is secondsPer in the audit's instance.
  constructor(per) { this.per = per; this.records = 0; this.min = 0; this.max = 0; this.verifications = 0; this.work = new Map(); this.first = null; }
  add(scheme, iterations, candidates, line) {
    if (this.records === 0 || iterations < this.min) this.min = iterations;
    this.max = Math.max(this.max, iterations);
    this.records++;
    this.verifications += candidates;
    this.work.set(scheme, (this.work.get(scheme) ?? 0) + candidates * iterations);
    this.first ??= { line, scheme, iterations, candidates };
  }
  // The first pass's estimate (pbkdf2Estimate), on one worker: one
  // module instance reads the file.
  estimate(input, note) {
    if (this.records === 0) return undefined;
    let secs = 0;
    for (const [scheme, w] of this.work) secs += w * this.per(scheme);
    const cost = { records: this.records, min_iterations: this.min, max_iterations: this.max, verifications: this.verifications, estimated_seconds: secs, workers: 1 };
    if (secs >= PBKDF2_WARN) {
      note(`audit: ${input}: ${pbkdf2What(cost)}: about ${approx(secs)} on 1 workers (${approx(secs / this.records)} a record: up to ${group(this.verifications)} candidate verifications in all); the rest of the audit costs microseconds a row`);
    }
    return cost;
  }
  // An input read once: counted as the records come (pbkdf2Seen.cost).
  seen(note) {
    if (this.records === 0) return undefined;
    const f = this.first;
    const per = f.candidates * f.iterations * this.per(f.scheme);
    if (per >= PBKDF2_WARN / 100) {
      note(`audit: PBKDF2 records (the first at line ${f.line}, ${group(f.iterations)} iterations) cost about ${approx(per)} each on this machine (up to ${f.candidates} candidate verifications); the input is read once, so how many follow is not known`);
    }
    return { records: this.records, min_iterations: this.min, max_iterations: this.max, verifications: 0, estimated_seconds: 0, workers: 1 };
  }
}

const MAX_LISTED = 10; // export's maxListed

// columnList is export.ColumnList: "column 7", "columns 3, 5 and 9".
function columnList(cols, maxListed) {
  if (cols.length === 1) return `column ${cols[0]}`;
  const shown = Math.min(cols.length, maxListed);
  let b = 'columns ';
  cols.slice(0, shown).forEach((c, i) => {
    if (i > 0) b += i === shown - 1 && shown === cols.length ? ' and ' : ', ';
    b += c;
  });
  if (shown < cols.length) b += ` and ${cols.length - shown} more`;
  return b;
}

// columnsNote is the Go host's note on the columns the audit ignores (warnColumns).
function columnsNote(name, ignored = [], unknown = []) {
  const unk = unknown.length ? columnList(unknown, MAX_LISTED) + ': names the audit does not know (not printed: a file without a header would have a PIN or password there)' : '';
  if (ignored.length > 0 && unknown.length > 0) return `audit: ${name}: ignoring columns ${ignored.join(', ')}, and ${unk} (see docs/audit.md for the recognized names)`;
  if (ignored.length > 0) return `audit: ${name}: ignoring columns ${ignored.join(', ')} (see docs/audit.md for the recognized names)`;
  if (unknown.length > 0) return `audit: ${name}: ignoring ${unk} (see docs/audit.md for the recognized names)`;
  return '';
}

// --- input ---

/**
 * readChunks yields the bytes of input as Uint8Arrays of at most size: a
 * Blob or File (read slice by slice, so a 1 GB file never sits in memory),
 * a WHATWG ReadableStream, a Node Readable or any (async) iterable of
 * bytes or strings, or one ArrayBuffer, Uint8Array or string.
 */
export async function* readChunks(input, size = DEFAULT_CHUNK, reuse = false) {
  if (input == null) throw new TypeError('audit: no input (want a File, Blob, ReadableStream, Node stream or bytes)');
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    try {
      if (reuse) {
        const r = byobReader(input);
        if (r) { yield* filled(r, size); return; }
      }
      for (let off = 0; off < input.size; off += size) {
        yield new Uint8Array(await input.slice(off, Math.min(input.size, off + size)).arrayBuffer());
      }
    } catch (e) {
      throw unreadable(input, e);
    }
    return;
  }
  if (typeof input === 'string') input = new TextEncoder().encode(input);
  if (input instanceof ArrayBuffer) input = new Uint8Array(input);
  if (ArrayBuffer.isView(input)) {
    const b = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    for (let off = 0; off < b.length; off += size) yield b.subarray(off, Math.min(b.length, off + size));
    return;
  }
  if (typeof input.getReader === 'function') {
    const reader = input.getReader();
    reading.add(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* pieces(toBytes(value), size);
      }
    } finally {
      reader.releaseLock();
      reading.delete(reader);
    }
  }
  if (typeof input[Symbol.asyncIterator] === 'function' || typeof input[Symbol.iterator] === 'function') {
    for await (const v of input) yield* pieces(toBytes(v), size);
    return;
  }
  throw new TypeError('audit: cannot read this input (want a File, Blob, ReadableStream, Node stream or bytes)');
}

// unreadable is the error of a Blob whose read failed. A File is read
// from its disk as the audit goes, and Chromium says only "network error"
// (NotReadableError for a slice) when it changed or went away after it
// was picked, which on a page that sends nothing misleads.
function unreadable(blob, e) {
  const name = typeof blob.name === 'string' && blob.name ? `${blob.name}: ` : '';
  return new TollgateError('unreadable', `${name}the file can no longer be read: it changed, moved or was deleted since it was picked; pick it again (the browser said: ${e?.message ?? String(e)})`);
}

// byobReader is a reader of blob's bytes into buffers of our own, or null
// where its stream is not a byte stream.
function byobReader(blob) {
  try {
    return blob.stream().getReader({ mode: 'byob' });
  } catch {
    return null;
  }
}

// reading holds each reader readChunks is reading from. Chromium collects
// a Blob's stream that only its own pending read refers to, and that read
// then never settles: a worker whose audit is awaiting it is unreachable,
// and under load (or with gc() forced between reads) the audit stopped
// there for ever (docs/performance.md, "A report that never came").
const reading = new Set();

// filled yields chunks of size bytes (the last shorter) read by the BYOB
// reader r into one buffer, over and over: each chunk is valid until the
// next is asked for. Reading the file a slice at a time instead makes an
// ArrayBuffer per chunk, 200 MB of them for a 100 MB file's two passes,
// which a worker's collector frees late (docs/performance.md).
async function* filled(r, size) {
  let buf = new ArrayBuffer(size);
  let done = false;
  reading.add(r);
  try {
    while (!done) {
      let off = 0;
      while (off < size) {
        const res = await r.read(new Uint8Array(buf, off, size - off));
        if (res.value) { buf = res.value.buffer; off += res.value.length; }
        if (res.done) { done = true; break; }
      }
      if (off > 0) yield new Uint8Array(buf, 0, off);
    }
  } finally {
    if (!done) r.cancel().catch(() => {}); // the count pass may stop at the header
    r.releaseLock();
    reading.delete(r);
  }
}

function* pieces(b, size) {
  for (let off = 0; off < b.length; off += size) yield b.subarray(off, Math.min(b.length, off + size));
}

function toBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return new TextEncoder().encode(v);
  throw new TypeError('audit: a stream gave something that is not bytes');
}

// An input that can be read twice (the first pass counts shared PINs): a
// Blob, bytes, or an object with open() (a Node file, fileInput below).
function rereadable(input) {
  if (typeof Blob !== 'undefined' && input instanceof Blob) return true;
  if (typeof input === 'string' || input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return true;
  return reopenable(input);
}

// reopenable: an object with open() that is not itself a stream (a Node
// ReadStream has an open() of its own).
function reopenable(input) {
  return typeof input?.open === 'function' && typeof input[Symbol.asyncIterator] !== 'function' && typeof input.getReader !== 'function';
}

function sizeOf(input) {
  if (typeof Blob !== 'undefined' && input instanceof Blob) return input.size;
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return input.byteLength;
  if (typeof input === 'string') return new TextEncoder().encode(input).length;
  if (typeof input?.size === 'number') return input.size;
  return -1;
}

// The audit parses each chunk before it reads the next, so a Blob's
// chunks share one buffer.
function open(input, size) {
  return readChunks(reopenable(input) ? input.open() : input, size, true);
}

/**
 * fileInput (Node) is a path as an audit input that can be read twice: each
 * pass opens a file stream (fs.createReadStream), and its size is known for
 * the progress fraction.
 */
export async function fileInput(path) {
  const fs = await import('node:fs');
  const st = await fs.promises.stat(path);
  if (st.isDirectory()) {
    throw Object.assign(new Error(`${path}: a directory, not a file`), { code: 'EISDIR', path: String(path) });
  }
  return { name: String(path), size: st.size, open: () => fs.createReadStream(path, { highWaterMark: DEFAULT_CHUNK }) };
}

function randomKey() {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function abortError(signal) {
  if (signal.reason !== undefined) return signal.reason;
  return typeof DOMException === 'function' ? new DOMException('the audit was aborted', 'AbortError') : Object.assign(new Error('the audit was aborted'), { name: 'AbortError' });
}

async function htmlScript() {
  const url = new URL('./htmlreport.js', import.meta.url);
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    return readFile(url, 'utf8');
  }
  const r = await fetch(url);
  if (!r.ok) throw new TollgateError('load', `fetching the HTML report's script failed: HTTP ${r.status}`);
  return r.text();
}

// Report parts are gathered into Blobs of about 128 KiB, so a report of a
// million rows is a few thousand Blobs, not millions of strings; smaller
// parts keep the worker's heap smaller (docs/performance.md: the renderer's
// peak private memory at 1 M rows was 320 MB with 1 MiB parts, 264 MB with
// 128 KiB, 249 MB with 32 KiB, which were slower).
class BlobSink {
  constructor(type) { this.type = type; this.parts = []; this.pending = []; this.n = 0; }
  write = (s) => {
    this.pending.push(s);
    this.n += s.length;
    if (this.n >= 128 << 10) this.flush();
  };
  flush() {
    if (this.pending.length) this.parts.push(new Blob([this.pending.join('')], { type: this.type }));
    this.pending = [];
    this.n = 0;
  }
  blob() { this.flush(); return new Blob(this.parts, { type: this.type }); }
}

const reportTypes = { json: 'application/x-ndjson', csv: 'text/csv;charset=utf-8', html: 'text/html;charset=utf-8' };

/**
 * auditWith runs the audit of input in this thread on the Tollgate tg,
 * which must have loaded the audit module (auditModuleURL; audit() does)
 * and hold no other audit while this one runs. It is the Go host's
 * runInModule (audit/wasm.go) step for step, so the records, the summary
 * and the notes are the CLI's. Options and result: audit.d.ts.
 */
export async function auditWith(tg, input, options = {}) {
  const {
    policy = 'cuc', tables = 'default', fips = false, exhaustive = false, encoding = 'auto',
    year = new Date().getFullYear(), chunkSize = DEFAULT_CHUNK, signal, onProgress, onRecords, onNote,
    records: keep = true, reports = [], recordFilter = 'all', recordLimit = Infinity,
  } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new TollgateError('bad_option', `chunkSize ${String(chunkSize)}: want a whole number of bytes, at least 1`, 'chunkSize');
  }
  const t0 = performance.now();
  const name = String(options.name ?? input?.name ?? 'input');
  const summary = newSummary({
    input: name, engine: 'wasm',
    policy: options.policyName ?? (typeof policy === 'string' ? policy : policy?.name ?? 'custom'),
    tables: options.tablesName ?? (typeof tables === 'string' ? tables : 'custom'),
  });
  const size = sizeOf(input);
  const twoPass = options.pass !== 'once' && rereadable(input);
  const req = { policy, tables, fips, exhaustive, year, encoding, key: randomKey() };
  const epoch = tg.epoch;
  const call = (op, bytes, view = false) => {
    if (tg.epoch !== epoch) throw new TollgateError('restart', 'the module instance was replaced during the audit: run it again');
    return tg.callBytes(op, bytes, view);
  };
  // The module's checks run inside audit.rows, where a browser cannot wait
  // for a data artifact to arrive: read every pending one first.
  for (const n of tg.dataPending) await tg.loadData(n);
  let named = options.policyName !== undefined || typeof policy === 'string';
  const openAudit = (pass) => {
    const res = JSON.parse(tg.callText('audit.open', JSON.stringify({ ...req, pass })));
    if (res.error?.code === 'unknown_op') {
      throw new TollgateError('unsupported', 'this module has no audit operations (audit.open): load wasm/tollgate-audit.wasm (auditModuleURL; docs/abi.md "Audit")');
    }
    if (res.error) throw new TollgateError(res.error.code, res.error.message, res.error.field);
    if (!named) {
      // The summary names a policy document as the Go host does: by the
      // name it compiles to (its own, or the profile it extends).
      named = true;
      const { handle, name: policyName } = tg.loadPolicy(policy);
      tg.unload(handle);
      summary.policy = policyName;
    }
  };
  // audit.rows' errors name their line, as the CLI's do: "FILE: line 1: ...".
  const rows = (chunk) => {
    try {
      return call('audit.rows', chunk, true);
    } catch (e) {
      if (e instanceof TollgateError && !['trap', 'panic', 'restart', 'too_large'].includes(e.code)) {
        throw Object.assign(new TollgateError(e.code, '', e.field), { message: `${name}: ${e.message.replace(/^[a-z_]+: (?:[a-z_]+: )?/, '')}` });
      }
      throw e;
    }
  };
  const notes = [];
  const note = (text) => { notes.push(text); onNote?.(text); };
  const writers = [];
  const sinks = {};
  for (const f of reports) {
    const sink = new BlobSink(reportTypes[f] ?? 'text/plain');
    sinks[f] = sink;
    if (f === 'json') writers.push(new JSONLinesReport(sink.write));
    else if (f === 'csv') writers.push(new CSVReport(sink.write));
    else if (f === 'html') {
      const script = await htmlScript();
      writers.push(new HTMLReport(sink.write, { script, scriptHash: await scriptHash(script) }));
    } else throw new TollgateError('bad_option', `unknown report format ${JSON.stringify(f)}: want json, csv or html`, 'reports');
  }
  const all = keep ? [] : null;
  let header = null;
  let end = null;
  const passes = twoPass ? 2 : 1;
  let lastProgress = 0;
  const progress = (pass, bytes, final) => {
    if (!onProgress) return;
    const now = performance.now();
    if (!final && now - lastProgress < 100) return;
    lastProgress = now;
    const fraction = size < 0 ? -1 : final ? 1 : Math.min(0.999, (pass * size + bytes) / (passes * Math.max(size, 1)));
    onProgress({ pass: twoPass ? (pass === 0 ? 'count' : 'check') : 'once', rows: summary.rows, bytes: pass * Math.max(size, 0) + bytes, fraction });
  };
  const checkAbort = () => { if (signal?.aborted) throw abortError(signal); };
  const onHeader = (info) => {
    header = info;
    if (info.ignored_columns?.length) summary.ignored_columns = info.ignored_columns;
    if (info.unknown_columns?.length) summary.unknown_columns = info.unknown_columns;
    const n = columnsNote(name, info.ignored_columns ?? [], info.unknown_columns ?? []);
    if (n) note(n);
    if (!twoPass && hasPINHash(info)) note(exhaustiveNote(info.exhaustive, -1, secondsPer(tg, SCHEME_SHA)));
  };
  // The exhaustive search's estimate is given when there are stored PIN
  // records to search (the header has "exhaustive" only when asked).
  const hasPINHash = (info) => info?.exhaustive !== undefined && (info.fields ?? []).includes('pin_hash');
  // The PBKDF2 records' cost: tallied in the first pass, seen in a single one.
  const tally = new PBKDF2Tally((scheme) => secondsPer(tg, scheme));
  let opened = false;
  try {
    // The first pass: digests and PBKDF2 records only; it stops at the
    // header when that says there is nothing to count.
    let counter = twoPass ? new DigestCounter() : null;
    let counted = false;
    if (twoPass) {
      openAudit('count');
      opened = true;
      let again = false;
      const on = {
        record() { throw bad('a record in the count pass'); },
        digest: (f, lo, hi) => counter.add(f, lo, hi),
        // A PIN record's count includes the exhaustive search (tallyPBKDF2).
        pbkdf2: (line, field, scheme, iterations, candidates) => tally.add(scheme, iterations,
          candidates + (field === digestFields.pinHash ? header?.exhaustive?.candidates ?? 0 : 0), line),
        header: (line, info) => { onHeader(info); if (info.count_pass === false) again = true; },
        note,
        end() {},
      };
      let bytes = 0;
      for await (const chunk of open(input, chunkSize)) {
        checkAbort();
        parseItems(rows(chunk), on);
        bytes += chunk.length;
        progress(0, bytes, false);
        if (again) break;
      }
      if (!again) parseItems(rows(new Uint8Array(0)), on);
      if (header === null) throw new TollgateError('bad_items', `${name}: the module read no header`);
      counted = !again;
    }
    openAudit(twoPass ? 'check' : 'once');
    opened = true;
    if (counted) {
      if (hasPINHash(header)) note(exhaustiveNote(header.exhaustive, counter.hashRecords, secondsPer(tg, SCHEME_SHA)));
      summary.pbkdf2 = tally.estimate(name, note);
      for (const b of counter.shared()) call('audit.shared', b);
      summary.distinct_pins = counter.distinct;
      summary.shared_pins = counter.pins;
      summary.shared_pin_records = counter.records;
    }
    // The module holds the shared digests now: the table (9 bytes a slot,
    // 19 MB for a million distinct PINs) goes before the check pass starts.
    counter?.release();
    counter = null;
    let batch = [];
    let given = 0; // records passed on (recordFilter, recordLimit)
    const on = {
      record: (r) => {
        addRecord(summary, r);
        for (const w of writers) w.record(r);
        if (given < recordLimit && (recordFilter !== 'findings' || r.findings.length > 0)) {
          batch.push(r);
          given++;
        }
      },
      digest() { throw bad('a digest in the check pass'); },
      pbkdf2: (line, field, scheme, iterations, candidates) => { if (!counted) tally.add(scheme, iterations, candidates, line); },
      header: (line, info) => { if (header === null) onHeader(info); },
      note,
      end: (info) => { end = info; },
    };
    const flush = () => {
      if (batch.length === 0) return;
      onRecords?.(batch);
      if (all) for (const r of batch) all.push(r);
      batch = [];
    };
    let bytes = 0;
    for await (const chunk of open(input, chunkSize)) {
      checkAbort();
      parseItems(rows(chunk), on);
      flush();
      bytes += chunk.length;
      progress(passes - 1, bytes, false);
    }
    checkAbort();
    parseItems(rows(new Uint8Array(0)), on);
    flush();
    call('audit.close', new Uint8Array(0));
    opened = false;
  } catch (e) {
    if (opened) {
      try { tg.callBytes('audit.close', new Uint8Array(0)); } catch { /* the instance is gone */ }
    }
    throw e;
  }
  if (end === null) throw bad('no end item');
  if (!twoPass) {
    summary.distinct_pins = end.distinct_pins ?? 0;
    summary.shared_pins = end.shared_pins ?? 0;
    summary.shared_pin_records = end.shared_pin_records ?? 0;
  }
  summary.pbkdf2 ??= tally.seen(note);
  if (summary.pbkdf2 === undefined) delete summary.pbkdf2;
  if (end.skipped_checks?.length) summary.skipped_checks = end.skipped_checks;
  summary.encoding = end.encoding;
  if (end.detected > 0 && end.encoding === 'windows-1252') {
    note(`audit: ${name}: not UTF-8 (from its first non-ASCII text, line ${end.detected}): read as windows-1252; --encoding sets the encoding`);
  }
  summary.seconds = (performance.now() - t0) / 1000;
  for (const w of writers) w.end(summary);
  progress(passes - 1, Math.max(size, 0), true);
  const out = { summary, notes };
  if (all) out.records = all;
  if (reports.length) {
    out.reports = {};
    for (const f of reports) out.reports[f] = sinks[f].blob();
  }
  return out;
}

/**
 * AUDIT_MEMORY_LIMIT is the GOMEMLIMIT audit() gives the audit module's
 * instance (options.load.env overrides it). At the module's collector
 * setting alone (GOGC 400) its heap grows to about 44 MB over a million
 * rows while what it holds stays under 16 MB; with this soft limit the
 * collector runs sooner and the memory stays about 18 MB, at no cost in
 * time measured (docs/performance.md). A heap that needs more grows past it.
 */
export const AUDIT_MEMORY_LIMIT = '16MiB';

/** The load options audit() uses for the audit module, given the caller's. */
export function auditLoadOptions(load = {}) {
  return { module: auditModuleURL, ...load, env: { GOMEMLIMIT: AUDIT_MEMORY_LIMIT, ...load.env } };
}

const inWorker = typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined' && self instanceof WorkerGlobalScope;

/**
 * audit audits a user export: in a browser, in a Web Worker of its own
 * (options.worker false runs it in this thread); in Node, in this thread.
 * The input is a File, Blob, ReadableStream, bytes, a Node stream, or
 * fileInput(path). See index.d.ts (AuditOptions, AuditResult).
 */
export async function audit(input, options = {}) {
  const useWorker = options.worker ?? (!isNode && !inWorker && typeof Worker === 'function');
  if (!useWorker) {
    const tg = options.tollgate ?? await load(auditLoadOptions(options.load));
    return auditWith(tg, input, options);
  }
  return auditInWorker(input, options);
}

function auditInWorker(input, options) {
  const { signal, onProgress, onRecords, onNote, tollgate: _t, ...rest } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const worker = new Worker(new URL('./audit-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    const finish = (fn, v) => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
      fn(v);
    };
    // Cancelling ends the worker at once: its module instance and the
    // rows it held go with it.
    const onAbort = () => finish(reject, abortError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = ({ data: m }) => {
      switch (m.type) {
        case 'progress': onProgress?.(m.progress); break;
        case 'records': onRecords?.(m.records); break;
        case 'note': onNote?.(m.text); break;
        case 'done': finish(resolve, m.result); break;
        case 'error': {
          // The worker's message already names the code: keep it as it is.
          const err = m.code === 'AbortError' ? abortError({}) : Object.assign(new TollgateError(m.code, m.detail ?? m.message, m.field), { message: m.message });
          finish(reject, err);
          break;
        }
      }
    };
    worker.onerror = (e) => finish(reject, new TollgateError('worker', `the audit worker failed: ${e.message ?? 'unknown error'}`));
    const opts = { ...rest, wantRecords: !!onRecords, wantProgress: !!onProgress, wantNotes: !!onNote };
    const transfer = typeof ReadableStream !== 'undefined' && input instanceof ReadableStream ? [input] : [];
    worker.postMessage({ input, options: opts }, transfer);
  });
}
