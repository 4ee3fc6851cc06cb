// The JS audit host's own parts (audit.js), without the module: the items
// of an audit.rows answer (docs/abi.md, "Items"), the first pass's digest
// counter and the audit.shared requests it writes, and reading inputs in
// chunks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseItems, DigestCounter, readChunks, digestFields } from '../audit.js';

const enc = new TextEncoder();
function uv(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
const str = (s) => { const b = enc.encode(s); return [...uv(b.length), ...b]; };
const u64 = (lo, hi) => [0, 8, 16, 24].map((k) => (lo >>> k) & 255).concat([0, 8, 16, 24].map((k) => (hi >>> k) & 255));

test('parseItems reads header, records, digests, notes and the end in order', () => {
  const bytes = Uint8Array.from([
    0x48, ...uv(1), ...str('{"ignored_columns":["Junk"],"unknown_columns":[7],"count_pass":true}'),
    0x52, ...uv(300), ...str('jdoé'), ...str('Staff'), ...uv(2), ...str('too_short'), ...str('pin'), ...str('Too short.'), ...str('bad_row'), ...str(''), ...str('line 300: broken quoting'),
    0x52, ...uv(301), ...str('x'), ...str(''), ...uv(0),
    0x44, ...uv(302), 2, 6, ...u64(0xdeadbeef, 0x01020304), 8, ...u64(1, 0xffffffff),
    0x50, ...uv(303), 9, 12, ...uv(600000), ...uv(35),
    0x4e, ...str('a note'),
    0x45, ...str('{"encoding":"utf-8-bom","detected":0,"offset":30016,"distinct_pins":0,"skipped_checks":[]}'),
  ]);
  const got = [];
  parseItems(bytes, {
    header: (line, info) => got.push(['H', line, info]),
    record: (r) => got.push(['R', r]),
    digest: (f, lo, hi) => got.push(['D', f, lo, hi]),
    pbkdf2: (...a) => got.push(['P', ...a]),
    note: (t) => got.push(['N', t]),
    end: (info) => got.push(['E', info.encoding, info.offset]),
  });
  assert.deepEqual(got, [
    ['H', 1, { ignored_columns: ['Junk'], unknown_columns: [7], count_pass: true }],
    ['R', { line: 300, alias: 'jdoé', cos: 'Staff', findings: [{ code: 'too_short', field: 'pin', message: 'Too short.' }, { code: 'bad_row', field: '', message: 'line 300: broken quoting' }] }],
    ['R', { line: 301, alias: 'x', findings: [] }],
    ['D', 6, 0xdeadbeef, 0x01020304], ['D', 8, 1, 0xffffffff],
    ['P', 303, 9, 12, 600000, 35],
    ['N', 'a note'],
    ['E', 'utf-8-bom', 30016],
  ]);
});

test('parseItems decodes every string as TextDecoder does, and short ASCII ones without it', () => {
  // Chromium allocates a Blink object per TextDecoder.decode call that only
  // a full collection frees: 25 MB of a worker's heap mid-audit at 1 M rows.
  const strings = ['', 'a', 'Staff', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(129), 'w'.repeat(5000), 'jdoé', 'ü', '€uro', '日本', '\x7f\x00', 'a\u{1F600}b'];
  const bytes = [];
  for (const s of strings) bytes.push(0x52, ...uv(7), ...str(s), ...str(s), ...uv(1), ...str(s), ...str(s), ...str(s));
  // Invalid UTF-8 as the module never sends it: the same replacement as TextDecoder.
  const broken = [0xc3, 0x28, 0xff, 0x61];
  bytes.push(0x52, ...uv(8), ...uv(broken.length), ...broken, ...str(''), ...uv(0));
  const got = [];
  const decode = TextDecoder.prototype.decode;
  let calls = 0;
  TextDecoder.prototype.decode = function (...a) { calls++; return decode.apply(this, a); };
  try {
    parseItems(Uint8Array.from(bytes), { record: (r) => got.push(r) });
  } finally {
    TextDecoder.prototype.decode = decode;
  }
  const want = strings.map((s) => {
    const findings = [{ code: s, field: s, message: s }];
    return s === '' ? { line: 7, alias: s, findings } : { line: 7, alias: s, cos: s, findings };
  });
  assert.deepEqual(got.slice(0, strings.length), want);
  assert.deepEqual(got.at(-1), { line: 8, alias: new TextDecoder().decode(Uint8Array.from(broken)), findings: [] });
  // Five strings each for the two ASCII ones over 128 bytes and the five
  // non-ASCII ones, and the broken one.
  assert.equal(calls, 5 * 7 + 1);
});

test('parseItems refuses a cut or unknown item', () => {
  const on = { header() {}, record() {}, digest() {}, note() {}, end() {} };
  assert.throws(() => parseItems(Uint8Array.from([0x52, ...uv(2), 5, 0x61]), on), { code: 'bad_items', message: /cut short/ });
  assert.throws(() => parseItems(Uint8Array.from([0x5a]), on), { code: 'bad_items', message: /unknown item kind 0x5a/ });
});

test('DigestCounter is the Go table: 56-bit keys whatever the field, counts saturating at 255, groups counted at 2', () => {
  const c = new DigestCounter(2); // grows many times
  for (let i = 1; i <= 5000; i++) c.add(digestFields.pin, i << 8, i * 7);
  for (let i = 0; i < 10; i++) c.add(digestFields.pin, (42 << 8) | 0x17, 42 * 7); // the low 8 bits do not count: 11 holders
  for (let i = 0; i < 300; i++) c.add(digestFields.pinHash, 9 << 8, 0); // saturates
  c.add(digestFields.pin, 0, 0); // the key 0 is stored as 0x100
  c.add(digestFields.pin, 0x100, 0);
  assert.equal(c.distinct, 5002);
  assert.deepEqual([c.pins, c.records, c.hashRecords], [2, 1, 300]);
  const entries = [];
  for (const b of c.shared()) {
    assert.equal(b.length % 10, 0);
    for (let o = 0; o < b.length; o += 10) {
      const dv = new DataView(b.buffer, b.byteOffset + o, 10);
      entries.push([dv.getUint8(0), dv.getUint32(1, true), dv.getUint32(5, true), dv.getUint8(9)]);
    }
  }
  entries.sort((a, b) => a[1] - b[1]);
  assert.deepEqual(entries, [[0, 0x100, 0, 2], [0, 9 << 8, 0, 255], [0, 42 << 8, 294, 11]]);
  // At most three quarters full: 5002 values in 8192 slots, not 16384.
  assert.equal(c.count.length, 8192);
  const { buffer } = c.count;
  c.release();
  assert.equal(c.count, null);
  // Where the engine can detach a buffer (Chromium; Node from 21), the
  // memory goes at once, not at the next full collection.
  if (ArrayBuffer.prototype.transfer) assert.equal(buffer.byteLength, 0);
});

test('DigestCounter.shared splits the requests at the size given', () => {
  const c = new DigestCounter();
  for (let i = 1; i <= 100; i++) { c.add(6, i << 8, 0); c.add(6, i << 8, 0); }
  const sizes = [...c.shared(30)].map((b) => b.length);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 1000);
  assert.ok(sizes.every((n) => n <= 30 && n % 10 === 0), String(sizes));
});

test('readChunks reads a Blob, a ReadableStream, a Node stream and bytes in pieces of at most the size', async () => {
  const text = 'Alias,PIN\n' + 'a,1\n'.repeat(1000);
  const want = enc.encode(text);
  const inputs = {
    blob: new Blob([text]),
    stream: new Blob([text]).stream(),
    node: Readable.from([want.subarray(0, 1000), want.subarray(1000)]),
    bytes: want,
    string: text,
  };
  for (const [name, input] of Object.entries(inputs)) {
    const parts = [];
    for await (const c of readChunks(input, 512)) parts.push(Uint8Array.from(c));
    assert.ok(parts.every((p) => p.length <= 512), name);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(want), name);
  }
});

// The audit reads a Blob into one buffer, chunk after chunk (BYOB): every
// chunk but the last is full, they share one buffer, and a pass that stops
// early (the count pass at a header that needs no count) lets go of the stream.
test('readChunks with reuse fills one buffer with a Blob\'s bytes, chunk after chunk', async () => {
  const want = enc.encode('Alias,PIN\n' + 'a,1\n'.repeat(1000));
  const parts = [];
  const buffers = new Set();
  for await (const c of readChunks(new Blob([want]), 512, true)) {
    buffers.add(c.buffer.byteLength);
    parts.push(Uint8Array.from(c));
  }
  assert.ok(parts.slice(0, -1).every((p) => p.length === 512), 'full chunks');
  assert.deepEqual([...buffers], [512], 'one buffer of the chunk size');
  assert.deepEqual(Buffer.concat(parts), Buffer.from(want));
  const blob = new Blob([want]);
  for await (const c of readChunks(blob, 512, true)) { assert.equal(c.length, 512); break; }
  assert.deepEqual(Buffer.from(await blob.arrayBuffer()), Buffer.from(want), 'the Blob reads again after a pass that stopped');
});

test('approx writes durations as Go\'s time.Duration does after audit/pbkdf2.go\'s rounding', async () => {
  const { approx, pbkdf2What } = await import('../audit-report.js');
  assert.deepEqual([0.0899, 0.0138, 4.24, 4, 59.96, 2400, 3723.4].map(approx), ['90ms', '14ms', '4.2s', '4s', '1m0s', '40m0s', '1h2m3s']);
  assert.equal(pbkdf2What({ records: 23000, min_iterations: 600000, max_iterations: 600000 }), '23,000 PBKDF2 records at 600,000 iterations');
  assert.equal(pbkdf2What({ records: 1, min_iterations: 1000, max_iterations: 10000 }), '1 PBKDF2 record at 1,000 to 10,000 iterations');
});
