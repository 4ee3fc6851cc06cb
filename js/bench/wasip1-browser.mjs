// Runs a wasip1 command (a Go test binary, GOOS=wasip1 GOARCH=wasm go test
// -c) in headless Chromium, on the page's main thread: js/wasi.js with the
// few file functions a test binary needs added (one read-only file, the
// one TOLLGATE_AUDIT_FILE names, under a preopened /), its output printed
// here. The Chromium counterpart of js/bench/wasip1.mjs, for the
// guest-compute ratio under V8 (docs/performance.md, "Under V8").
//
//   TOLLGATE_AUDIT_FILE=/tmp/bat-300k.csv node js/bench/wasip1-browser.mjs /tmp/auditcore.wasm -test.run '^$' -test.bench 'Stream$' -test.benchtime=1x -test.count=3

import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, chromiumArgs } from '../test/chromium.mjs';

const [file, ...args] = process.argv.slice(2);
const data = process.env.TOLLGATE_AUDIT_FILE;
if (!file || !data) {
  console.error('usage: TOLLGATE_AUDIT_FILE=FILE.csv node js/bench/wasip1-browser.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
const origin = 'http://bench.invalid';
const served = {
  '/wasi.js': { body: readFileSync(new URL('../wasi.js', import.meta.url)), type: 'text/javascript' },
  '/cmd.wasm': { body: readFileSync(file), type: 'application/wasm' },
  '/data': { body: readFileSync(data), type: 'application/octet-stream' },
  '/': { body: '<!doctype html><title>wasip1</title>', type: 'text/html' },
};
const { chromium } = await import('playwright-core');
const profile = mkdtempSync(join(tmpdir(), 'tollgate-wasip1-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs });
let code = 1;
try {
  await context.route(`${origin}/**`, (route) => {
    const s = served[new URL(route.request().url()).pathname];
    return s ? route.fulfill({ status: 200, body: s.body, contentType: s.type }) : route.fulfill({ status: 404 });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60 * 60 * 1000);
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${origin}/`);
  console.log(`chromium ${context.browser()?.version() ?? ''}`.trim());
  code = await page.evaluate(async ({ args, dataPath }) => {
    const { WASI, WasiExit, errno } = await import('/wasi.js');
    const bytes = new Uint8Array(await (await fetch('/data')).arrayBuffer());
    const w = new WASI({ stdout: (l) => console.log(l), stderr: (l) => console.log(l), env: { TOLLGATE_AUDIT_FILE: dataPath } });
    const enc = new TextEncoder();
    const argv = args.map((a) => enc.encode(`${a}\0`));
    const mem = () => new Uint8Array(w.memory.buffer);
    const dv = () => new DataView(w.memory.buffer);
    const files = new Map(); // fd -> offset into bytes
    let next = 4;
    const rel = dataPath.replace(/^\/+/, '');
    const origFdstat = w.imports.fd_fdstat_get;
    Object.assign(w.imports, {
      args_sizes_get: (c, s) => { dv().setUint32(c, argv.length, true); dv().setUint32(s, argv.reduce((n, b) => n + b.length, 0), true); return 0; },
      args_get: (list, buf) => { let at = buf; argv.forEach((b, i) => { dv().setUint32(list + 4 * i, at, true); mem().set(b, at); at += b.length; }); return 0; },
      fd_prestat_get: (fd, p) => { if (fd !== 3) return errno.BADF; dv().setUint8(p, 0); dv().setUint32(p + 4, 1, true); return 0; },
      fd_prestat_dir_name: (fd, p, n) => { if (fd !== 3) return errno.BADF; mem()[p] = 0x2f; return 0; },
      path_open: (dirfd, _df, p, n, _of, _rb, _ri, _ff, out) => {
        const path = new TextDecoder().decode(mem().slice(p, p + n));
        if (dirfd !== 3 || path !== rel) return 44; // ENOENT
        files.set(next, 0);
        dv().setUint32(out, next++, true);
        return 0;
      },
      fd_filestat_get: (fd, p) => {
        if (!files.has(fd)) return errno.BADF;
        const d = dv();
        for (let i = 0; i < 64; i += 8) d.setBigUint64(p + i, 0n, true);
        d.setUint8(p + 16, 4); // regular file
        d.setBigUint64(p + 24, 1n, true);
        d.setBigUint64(p + 32, BigInt(bytes.length), true);
        return 0;
      },
      fd_fdstat_get: (fd, p) => {
        if (!files.has(fd) && fd !== 3) return fd <= 2 ? origFdstat(fd, p) : errno.BADF;
        const d = dv();
        d.setUint8(p, fd === 3 ? 3 : 4);
        d.setUint16(p + 2, 0, true);
        d.setBigUint64(p + 8, 0xffffffffn, true);
        d.setBigUint64(p + 16, 0xffffffffn, true);
        return 0;
      },
      fd_read: (fd, iovs, n, nread) => {
        if (!files.has(fd)) return errno.BADF;
        let off = files.get(fd);
        let total = 0;
        const d = dv();
        for (let i = 0; i < n; i++) {
          const p = d.getUint32(iovs + 8 * i, true);
          const l = d.getUint32(iovs + 8 * i + 4, true);
          const k = Math.min(l, bytes.length - off);
          mem().set(bytes.subarray(off, off + k), p);
          off += k;
          total += k;
        }
        files.set(fd, off);
        d.setUint32(nread, total, true);
        return 0;
      },
      fd_close: (fd) => (files.delete(fd) ? 0 : errno.BADF),
    });
    const { instance } = await WebAssembly.instantiate(await (await fetch('/cmd.wasm')).arrayBuffer(), w.importObject);
    w.memory = instance.exports.memory;
    try {
      instance.exports._start();
      return 0;
    } catch (e) {
      if (e instanceof WasiExit) return e.code;
      console.log(String(e));
      return 1;
    }
  }, { args: ['cmd.wasm', ...args], dataPath: data });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exitCode = code;
