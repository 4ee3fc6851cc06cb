// Node figures for docs/performance.md: module size over the wire (gzip -9,
// brotli -q 11), compile and instantiate time, and per-call cost from JS.
//   node js/bench/bench.mjs            (make bench-js)

import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants as zc } from 'node:zlib';
import { measure } from './measure.js';

// The committed modules (in the npm package they sit beside tollgate.js).
const bytes = readFileSync(process.env.TOLLGATE_WASM || new URL('../../wasm/tollgate.wasm', import.meta.url));
const sizes = {
  raw: bytes.length,
  gzip9: gzipSync(bytes, { level: 9 }).length,
  brotli9: brotliCompressSync(bytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 9 } }).length,
};
if (!process.argv.includes('--quick')) {
  sizes.brotli11 = brotliCompressSync(bytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;
}
// The regex module, downloaded only for documents with regex rows.
const rbytes = readFileSync(new URL('../../wasm/regex.wasm', import.meta.url));
const regexSizes = {
  raw: rbytes.length,
  gzip9: gzipSync(rbytes, { level: 9 }).length,
  brotli9: brotliCompressSync(rbytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 9 } }).length,
};
const m = await measure(new Uint8Array(bytes));
console.log(JSON.stringify({ node: process.version, sizes, regexSizes, ...m }, null, 2));
