// A static server for the demo: js/ at /, and the committed modules at
// /tollgate.wasm, /tollgate-audit.wasm and /regex.wasm, beside tollgate.js as in the npm package
// (served from wasm/, not copied), on localhost only.
// Responses are compressed (brotli, else gzip) as a production server would
// send them, so the browser tests see the real bytes over the wire.
//
//   node js/demo/serve.mjs [--host 127.0.0.1] [--port 8087]     (make demo)

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { brotliCompress, gzip, constants as zc } from 'node:zlib';
import { promisify } from 'node:util';
import { join, normalize, sep, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const jsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const wasmFile = join(jsDir, '..', 'wasm', 'tollgate.wasm');
// The audit module, which the audit view's worker loads.
const auditFile = join(jsDir, '..', 'wasm', 'tollgate-audit.wasm');
// The regex module, fetched by tollgate.js only for documents with regex rows.
const regexFile = join(jsDir, '..', 'wasm', 'regex.wasm');
// The data artifacts, which tollgate.js fetches when an operation first
// needs one: the breached-password list and the destination data.
const dataFiles = {
  '/passwords.tgd': join(jsDir, '..', 'wasm', 'passwords.tgd'),
  '/destinations.tgd': join(jsDir, '..', 'wasm', 'destinations.tgd'),
};

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
};

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

// Brotli quality 9, not 11: 11 saves another 12% on the module but takes a
// minute on a busy two-core machine (docs/performance.md has both sizes).
const BROTLI_QUALITY = 9;

function compress(raw, encoding) {
  if (encoding === 'br') {
    return brotliAsync(raw, { params: { [zc.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zc.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  }
  return encoding === 'gzip' ? gzipAsync(raw, { level: 9 }) : Promise.resolve(raw);
}

// Only the package's own files; never dependencies, tests or Go helpers.
const hidden = new Set(['node_modules', 'test', 'internal']);

// The page may load its own files and nothing else (connect-src for the
// module and catalogues, wasm-unsafe-eval to compile the module).
const csp = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

function resolve(urlPath) {
  if (urlPath === '/tollgate.wasm') return wasmFile;
  if (urlPath === '/tollgate-audit.wasm') return auditFile;
  if (urlPath === '/regex.wasm') return regexFile;
  if (Object.hasOwn(dataFiles, urlPath)) return dataFiles[urlPath];
  const rel = normalize(decodeURIComponent(urlPath)).replace(/^[/\\]+/, '');
  if (rel.startsWith('..') || rel.split(sep).some((p) => hidden.has(p) || p.startsWith('.'))) return null;
  const file = join(jsDir, rel);
  return file.startsWith(jsDir + sep) || file === jsDir ? file : null;
}

/**
 * Starts the server. Resolves to {url, server, close(), log, warm}, where
 * log lists every request served (method, path, status, bytes sent) and
 * warm settles once the module is compressed (the first request for it
 * would otherwise wait for that).
 */
export async function startServer({ host = '127.0.0.1', port = 0 } = {}) {
  const cache = new Map(); // file + encoding -> {mtime, body: Promise<Buffer>}
  const log = [];
  const encoded = async (file, mtime, encoding) => {
    const key = file + '|' + encoding;
    let c = cache.get(key);
    if (!c || c.mtime !== mtime) {
      c = { mtime, body: readFile(file).then((raw) => compress(raw, encoding)) };
      cache.set(key, c);
    }
    return c.body;
  };
  const warm = Promise.all([wasmFile, auditFile].map((f) => stat(f).then((st) => Promise.all(['br', 'gzip'].map((e) => encoded(f, st.mtimeMs, e))))));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const entry = { method: req.method, path: url.pathname, status: 0, bytes: 0, encoding: '' };
    log.push(entry);
    const send = (status, headers, body) => {
      entry.status = status;
      entry.bytes = body ? body.length : 0;
      res.writeHead(status, { 'Cache-Control': 'no-cache', 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' }, 'method not allowed\n');
    if (url.pathname === '/' || url.pathname === '/demo') return send(302, { Location: '/demo/' }, '');
    let file = resolve(url.pathname);
    if (file === null) return send(404, { 'Content-Type': 'text/plain' }, 'not found\n');
    try {
      let st = await stat(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = await stat(file);
      }
      const accept = String(req.headers['accept-encoding'] || '');
      const encoding = /\bbr\b/.test(accept) ? 'br' : /\bgzip\b/.test(accept) ? 'gzip' : '';
      const body = await encoded(file, st.mtimeMs, encoding);
      entry.encoding = encoding;
      const headers = { 'Content-Type': types[extname(file)] || 'application/octet-stream', Vary: 'Accept-Encoding' };
      if (encoding) headers['Content-Encoding'] = encoding;
      send(200, headers, body);
    } catch {
      send(404, { 'Content-Type': 'text/plain' }, 'not found\n');
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const addr = server.address();
  return {
    url: `http://${host}:${addr.port}`,
    server,
    log,
    warm,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const { url } = await startServer({ host: arg('--host', '127.0.0.1'), port: +arg('--port', 8087) });
  console.log(`tollgate demo on ${url}/demo/ (Ctrl-C to stop)`);
}
