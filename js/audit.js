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

import { TollgateError, load } from './tollgate.js';
import { newSummary, addRecord, JSONLinesReport, CSVReport, HTMLReport, scriptHash } from './audit-report.js';

export { summaryJSON, recordJSON, sorted, barChart, JSONLinesReport, CSVReport, HTMLReport, NO_COS, codes } from './audit-report.js';

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** How many bytes of the file go to the module per crossing. */
export const DEFAULT_CHUNK = 256 << 10;

/** The export.Field numbers a digest item names (docs/abi.md, "Items"). */
export const digestFields = Object.freeze({ pin: 6, pinHash: 8 });

// --- items (docs/abi.md, "Items") ---

const utf8 = new TextDecoder('utf-8');

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
  str() {
    const n = this.uv();
    if (this.i + n > this.b.length) throw bad('a string is cut short');
    const s = utf8.decode(this.b.subarray(this.i, this.i + n));
    this.i += n;
    return s;
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

/**
 * parseItems reads one audit.rows answer: calls on.record(r), on.digest(field,
 * lo, hi), on.header(line, info), on.note(text) and on.end(info) in order.
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
 * DigestCounter counts holders per (field, 64-bit digest), saturating at
 * 255, in typed arrays (an open-addressing table: 10 bytes a slot, so a
 * million distinct PINs cost about 20 MB, not a Map of strings).
 */
export class DigestCounter {
  constructor(bits = 12) { this._alloc(bits); this.distinct = 0; }
  _alloc(bits) {
    this.bits = bits;
    this.lo = new Uint32Array(1 << bits);
    this.hi = new Uint32Array(1 << bits);
    this.field = new Uint8Array(1 << bits); // 0: empty slot
    this.count = new Uint8Array(1 << bits);
  }
  _find(field, lo, hi) {
    const mask = (1 << this.bits) - 1;
    let i = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1) ^ field, 0x85ebca6b) >>> (32 - this.bits)) & mask;
    for (;;) {
      const f = this.field[i];
      if (f === 0 || (f === field && this.lo[i] === lo && this.hi[i] === hi)) return i;
      i = (i + 1) & mask;
    }
  }
  add(field, lo, hi) {
    if (2 * (this.distinct + 1) > 1 << this.bits) this._grow();
    const i = this._find(field, lo, hi);
    if (this.field[i] === 0) {
      this.field[i] = field; this.lo[i] = lo; this.hi[i] = hi;
      this.distinct++;
    }
    if (this.count[i] < 255) this.count[i]++;
  }
  _grow() {
    const { lo, hi, field, count } = this;
    this._alloc(this.bits + 1);
    for (let j = 0; j < field.length; j++) {
      if (field[j] === 0) continue;
      const i = this._find(field[j], lo[j], hi[j]);
      this.field[i] = field[j]; this.lo[i] = lo[j]; this.hi[i] = hi[j]; this.count[i] = count[j];
    }
  }
  /** How many values of field two or more rows hold. */
  sharedOf(field) {
    let n = 0;
    for (let i = 0; i < this.field.length; i++) if (this.field[i] === field && this.count[i] >= 2) n++;
    return n;
  }
  /** The audit.shared requests: n × (u8 field, u64 LE digest, u8 count) for counts ≥ 2, at most max bytes each. */
  *shared(max = 1 << 20) {
    const per = 10;
    let out = new Uint8Array(Math.min(max, per * 1024));
    let n = 0;
    for (let i = 0; i < this.field.length; i++) {
      if (this.field[i] === 0 || this.count[i] < 2) continue;
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
      out[n] = this.field[i];
      for (let k = 0; k < 4; k++) { out[n + 1 + k] = (lo >>> (8 * k)) & 255; out[n + 5 + k] = (hi >>> (8 * k)) & 255; }
      out[n + 9] = this.count[i];
      n += per;
    }
    if (n > 0) yield out.subarray(0, n);
  }
}

// --- input ---

/**
 * readChunks yields the bytes of input as Uint8Arrays of at most size: a
 * Blob or File (read slice by slice, so a 1 GB file never sits in memory),
 * a WHATWG ReadableStream, a Node Readable or any (async) iterable of
 * bytes or strings, or one ArrayBuffer, Uint8Array or string.
 */
export async function* readChunks(input, size = DEFAULT_CHUNK) {
  if (input == null) throw new TypeError('audit: no input (want a File, Blob, ReadableStream, Node stream or bytes)');
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    for (let off = 0; off < input.size; off += size) {
      yield new Uint8Array(await input.slice(off, Math.min(input.size, off + size)).arrayBuffer());
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
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* pieces(toBytes(value), size);
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (typeof input[Symbol.asyncIterator] === 'function' || typeof input[Symbol.iterator] === 'function') {
    for await (const v of input) yield* pieces(toBytes(v), size);
    return;
  }
  throw new TypeError('audit: cannot read this input (want a File, Blob, ReadableStream, Node stream or bytes)');
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
  return typeof input?.open === 'function';
}

function sizeOf(input) {
  if (typeof Blob !== 'undefined' && input instanceof Blob) return input.size;
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return input.byteLength;
  if (typeof input === 'string') return new TextEncoder().encode(input).length;
  if (typeof input?.size === 'number') return input.size;
  return -1;
}

function open(input, size) {
  return readChunks(typeof input?.open === 'function' ? input.open() : input, size);
}

/**
 * fileInput (Node) is a path as an audit input that can be read twice: each
 * pass opens a file stream (fs.createReadStream), and its size is known for
 * the progress fraction.
 */
export async function fileInput(path) {
  const fs = await import('node:fs');
  const st = await fs.promises.stat(path);
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

const summaryKeys = new Set(['distinct_pins', 'shared_pins', 'shared_pin_records', 'skipped_checks', 'pbkdf2']);

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

// Report parts are gathered into Blobs of about 1 MB, so a report of a
// million rows is a few hundred Blobs, not millions of strings.
class BlobSink {
  constructor(type) { this.type = type; this.parts = []; this.pending = []; this.n = 0; }
  write = (s) => {
    this.pending.push(s);
    this.n += s.length;
    if (this.n >= 1 << 20) this.flush();
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
 * auditWith runs the audit of input in this thread on the Tollgate tg (an
 * instance that holds no other audit while this one runs). Options and
 * result: index.d.ts (AuditOptions, AuditResult).
 */
export async function auditWith(tg, input, options = {}) {
  const {
    policy = 'cuc', tables = 'default', fips = false, exhaustive = false, encoding = 'auto',
    year = new Date().getFullYear(), chunkSize = DEFAULT_CHUNK, signal, onProgress, onRecords, onNote,
    records: keep = true, reports = [], recordFilter = 'all', recordLimit = Infinity,
  } = options;
  const t0 = performance.now();
  const name = options.name ?? input?.name ?? 'input';
  const summary = newSummary({
    input: String(name), engine: 'wasm',
    policy: options.policyName ?? (typeof policy === 'string' ? policy : 'custom'),
    tables: options.tablesName ?? (typeof tables === 'string' ? tables : 'custom'),
  });
  const size = sizeOf(input);
  const twoPass = options.pass !== 'once' && rereadable(input);
  const key = randomKey();
  const req = { policy, tables, fips, exhaustive, year, encoding, key };
  const epoch = tg.epoch;
  const call = (op, bytes) => {
    if (tg.epoch !== epoch) throw new TollgateError('restart', 'the module instance was replaced during the audit: run it again');
    return tg.callBytes(op, bytes);
  };
  const openAudit = (pass) => {
    const res = JSON.parse(tg.callText('audit.open', JSON.stringify({ ...req, pass })));
    if (res.error?.code === 'unknown_op') {
      throw new TollgateError('unsupported', 'this module has no audit operations (audit.open, docs/abi.md "Audit"): it was built before the audit core');
    }
    if (res.error) throw new TollgateError(res.error.code, res.error.message, res.error.field);
  };
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
  const notes = [];
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

  // The first pass: digests only; stops early when the header says there
  // is nothing to count (no PIN column).
  const counter = twoPass ? new DigestCounter() : null;
  const checkAbort = () => { if (signal?.aborted) throw abortError(signal); };
  let opened = false;
  try {
    if (twoPass) {
      openAudit('count');
      opened = true;
      let counting = true;
      const on = {
        record() { throw bad('a record in the count pass'); },
        digest: (f, lo, hi) => counter.add(f, lo, hi),
        header: (line, info) => { header = info; if (info.count_pass === false) counting = false; },
        note() {}, // the second pass writes the notes
        end() {},
      };
      let bytes = 0;
      for await (const chunk of open(input, chunkSize)) {
        checkAbort();
        parseItems(call('audit.rows', chunk), on);
        bytes += chunk.length;
        progress(0, bytes, false);
        if (!counting) break;
      }
      if (counting) parseItems(call('audit.rows', new Uint8Array(0)), on);
      call('audit.close', new Uint8Array(0));
      opened = false;
    }

    openAudit(twoPass ? 'check' : 'once');
    opened = true;
    if (twoPass) for (const b of counter.shared()) call('audit.shared', b);
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
      header: (line, info) => { header = info; },
      note: (text) => { notes.push(text); onNote?.(text); },
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
      parseItems(call('audit.rows', chunk), on);
      flush();
      bytes += chunk.length;
      progress(passes - 1, bytes, false);
    }
    checkAbort();
    parseItems(call('audit.rows', new Uint8Array(0)), on);
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
  summary.encoding = end.encoding ?? summary.encoding;
  for (const k of summaryKeys) if (end[k] !== undefined) summary[k] = end[k];
  if (twoPass) {
    summary.distinct_pins = counter.distinct;
    summary.shared_pins = counter.sharedOf(digestFields.pin);
    summary.shared_pin_records = counter.sharedOf(digestFields.pinHash);
  }
  if (header?.ignored_columns?.length) summary.ignored_columns = header.ignored_columns;
  if (header?.unknown_columns?.length) summary.unknown_columns = header.unknown_columns;
  if (summary.skipped_checks?.length === 0) delete summary.skipped_checks;
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
    const tg = options.tollgate ?? await load(options.load ?? {});
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
          const err = m.code === 'AbortError' ? abortError({}) : Object.assign(new TollgateError(m.code, '', m.field), { message: m.message });
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
