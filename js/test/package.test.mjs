// The npm package as a JS developer gets it: `npm pack` (its prepack and
// postpack steps included), the tarball installed into a fresh project with
// no registry, then used with no options in Node (a PIN verdict, and a regex
// table, which needs regex.wasm) and, bundled by Vite, in headless Chromium.
//
// npm runs in a copy of js/ (beside copies of wasm/ and LICENSE, as in the
// repository), so that the prepack/postpack copies never appear in this
// js/ while other test files read it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, extname, join, normalize, sep } from 'node:path';
import { root } from './corpus.mjs';
import { chromiumPath, chromiumArgs, skipBrowser } from './chromium.mjs';

const jsDir = join(root, 'js');
const pkg = JSON.parse(readFileSync(join(jsDir, 'package.json'), 'utf8'));

// What the tarball must hold, and nothing else.
const expectedFiles = [
  'LICENSE', 'NOTICE', 'README.md', 'package.json',
  'abi.d.ts', 'abi.js', 'audit.d.ts', 'audit.js', 'audit-report.js', 'audit-worker.js', 'bin/docpos.mjs', 'bin/outfile.mjs', 'bin/tollgate-audit.mjs', 'data.js', 'destinations.tgd', 'htmlreport.js', 'index.d.ts', 'messages.en.json', 'messages.fr.json',
  'passwords.tgd', 'regex.js', 'regex.wasm', 'tollgate-audit.wasm', 'tollgate.js', 'tollgate.wasm', 'wasi.d.ts', 'wasi.js',
];
// The files npm pack copies into the package (js/internal/pack.mjs) and their originals.
const copied = {
  'tollgate.wasm': join(root, 'wasm', 'tollgate.wasm'), 'tollgate-audit.wasm': join(root, 'wasm', 'tollgate-audit.wasm'), 'regex.wasm': join(root, 'wasm', 'regex.wasm'),
  'passwords.tgd': join(root, 'wasm', 'passwords.tgd'), 'destinations.tgd': join(root, 'wasm', 'destinations.tgd'),
  LICENSE: join(root, 'LICENSE'), NOTICE: join(root, 'NOTICE'),
};

let work; // temporary directory: stage/, tarball, project/, npm cache
let stageJs; // the copy of js/ where npm pack runs
let project; // the project the tarball is installed in
let tarball;
let dryRun; // npm pack --dry-run --json
let packed; // npm pack --json

function npm(args, cwd) {
  // An unreachable registry: an install that tried to reach one would fail.
  return execFileSync('npm', [...args, '--registry=http://127.0.0.1:9/', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false' },
  });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'tollgate-pack-'));
  stageJs = join(work, 'stage', 'js');
  // js/ without its dependencies or leftovers; wasm/ by symlink (prepack copies through it).
  cpSync(jsDir, stageJs, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(jsDir.length + 1);
      return rel.split(sep)[0] !== 'node_modules' && !rel.endsWith('.tgz') && !(rel in copied);
    },
  });
  mkdirSync(join(work, 'stage', 'wasm'));
  for (const f of ['tollgate.wasm', 'tollgate-audit.wasm', 'regex.wasm', 'passwords.tgd', 'destinations.tgd']) symlinkSync(join(root, 'wasm', f), join(work, 'stage', 'wasm', f));
  cpSync(join(root, 'LICENSE'), join(work, 'stage', 'LICENSE'));
  cpSync(join(root, 'NOTICE'), join(work, 'stage', 'NOTICE'));

  dryRun = JSON.parse(npm(['pack', '--dry-run', '--json'], stageJs))[0];
  packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], stageJs))[0];
  tarball = join(work, packed.filename);

  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'tollgate-user', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', '--offline', tarball], project);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('package.json: public, Apache-2.0, with a repository, keywords and the wasm in files', () => {
  assert.equal(pkg.private, undefined, 'the package must not be private');
  assert.equal(pkg.license, 'Apache-2.0');
  assert.match(pkg.repository?.url ?? '', /tollgate/);
  assert.equal(pkg.repository?.directory, 'js');
  assert.ok(pkg.keywords?.length > 0);
  for (const f of ['tollgate.wasm', 'regex.wasm', 'README.md', 'LICENSE']) assert.ok(pkg.files.includes(f), `files lacks ${f}`);
  assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^\s*Apache License\s+Version 2\.0, January 2004/);
});

test('npm pack --dry-run lists the modules, README and LICENSE, and nothing of tests, demo or Go', () => {
  assert.deepEqual(dryRun.files.map((f) => f.path).sort(), [...expectedFiles].sort());
});

test('the tarball holds exactly the package files, and postpack left no copy behind', () => {
  assert.deepEqual(packed.files.map((f) => f.path).sort(), [...expectedFiles].sort());
  for (const name of Object.keys(copied)) assert.ok(!existsSync(join(stageJs, name)), `${name} left in js/ after npm pack`);
  const size = (p) => packed.files.find((f) => f.path === p).size;
  assert.equal(size('tollgate.wasm'), readFileSync(copied['tollgate.wasm']).length);
});

test('no copy of the modules lingers in js/ (an interrupted npm pack), where Node would prefer it to wasm/', () => {
  for (const name of ['tollgate.wasm', 'regex.wasm']) {
    const left = join(jsDir, name);
    if (existsSync(left)) {
      assert.ok(readFileSync(left).equals(readFileSync(copied[name])), `${left} is a stale copy left by an interrupted npm pack: delete it`);
    }
  }
});

test('the installed package: modules and LICENSE byte-identical to the repository\'s, a README, and the metadata', () => {
  const dir = join(project, 'node_modules', '@tollgate', 'tollgate');
  for (const [name, src] of Object.entries(copied)) {
    assert.ok(readFileSync(join(dir, name)).equals(readFileSync(src)), `${name} in the package differs from ${src}`);
  }
  assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /npm install/);
  const installed = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.equal(installed.license, 'Apache-2.0');
  assert.equal(installed.private, undefined);
});

test('Node: import { load } from the package, load() with no options, a PIN verdict and a regex table', () => {
  const app = `
    import { load, defaultModuleURL, defaultRegexModuleURL } from '@tollgate/tollgate';
    const tg = await load();
    const pin = tg.checkPin('2580', { extensions: ['4021'] });
    const ext = tg.checkPin('914021', { extensions: ['4021'] });
    const before = tg.regexReady;
    const { handle } = tg.loadTables({ tables: [{ name: 'r', dialect: 'regex', no_match: 'allowed', rows: [{ pattern: '(?<=^9)011\\\\d+$' }] }] });
    const dials = ['9011441234', '4085551234'].map((number) => tg.dial(number, { tables: handle, table: 'r' }));
    const nist = tg.checkPassword('P@ssw0rd12345678', {}, { policy: 'nist-800-63b-4' });
    const dest = tg.dial('918095550100', { tables: { region: { country: 'US' }, tables: [{ name: 'T', rows: [{ pattern: '9*', blocked: false }, { pattern: '*', blocked: true }] }] } }).destination;
    console.log(JSON.stringify({ module: defaultModuleURL.href, regexModule: defaultRegexModuleURL.href, pin, ext, before, after: tg.regexReady, dials, nist, dest }));
  `;
  writeFileSync(join(project, 'app.mjs'), app);
  const out = JSON.parse(execFileSync(process.execPath, ['app.mjs'], { cwd: project, encoding: 'utf8' }));
  const dir = new URL(`file://${join(project, 'node_modules', '@tollgate', 'tollgate')}/`).href;
  assert.equal(out.module, dir + 'tollgate.wasm');
  assert.equal(out.regexModule, dir + 'regex.wasm');
  assert.equal(out.pin.accepted, false);
  assert.deepEqual(out.pin.reasons.map((r) => r.code), ['too_short', 'keypad_line'], 'as the package README says');
  assert.ok(out.pin.reasons.some((r) => r.code === 'keypad_line' && r.start === 0 && r.end === 4), JSON.stringify(out.pin));
  const ext = out.ext.reasons.find((r) => r.code === 'contains_extension');
  assert.deepEqual([ext?.start, ext?.end], [2, 6]);
  // Node reads regex.wasm from the package on the first regex row (a
  // lookbehind: regexp2's, not JS RegExp's).
  assert.equal(out.before, false);
  assert.equal(out.after, true);
  assert.deepEqual(out.dials.map((d) => [d.allowed, d.reason, d.row]), [[false, 'matched', 0], [true, 'no_match', -1]]);
  // passwords.tgd came with the package: the NIST blocklist works.
  assert.deepEqual(out.nist.reasons.map((r) => [r.code, r.detail]), [['common', 'list']]);
  // destinations.tgd likewise: a document that declares a region classifies.
  assert.equal(out.dest?.country, 'DO');
});

test('npx: the installed package\'s tollgate-audit bin audits the sample from the package\'s own audit module', () => {
  const binPath = join(project, 'node_modules', '.bin', 'tollgate-audit');
  const help = spawnSync(binPath, ['--help'], { cwd: project, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: tollgate-audit/);
  const r = spawnSync(binPath, ['--format', 'json', join(root, 'testdata', 'csv', 'sample-users.csv')], { cwd: project, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 1, `findings: exit 1 (${r.stderr})`);
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 300);
  assert.deepEqual(JSON.parse(lines[0]).findings.map((f) => f.code), ['blocked_number', 'shared_pin']);
});

test('the package README\'s Node example runs in the installed project', () => {
  const readme = readFileSync(join(project, 'node_modules', '@tollgate', 'tollgate', 'README.md'), 'utf8');
  const block = /## Node\n+```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README.md has a Node section with a js block');
  // Its commented results, printed instead of ignored, must be what it says.
  const code = block[1] + `
    console.log(JSON.stringify({ accepted: v.accepted, codes: v.reasons.map((r) => r.code),
      password: tg.checkPassword('alovelace-1815', { alias: 'alovelace' }).reasons.map((r) => r.code),
      dial: tg.dial('9011441234567', { table: 'Default Transfer' }) }));`;
  writeFileSync(join(project, 'readme.mjs'), code);
  const out = JSON.parse(execFileSync(process.execPath, ['readme.mjs'], { cwd: project, encoding: 'utf8' }));
  assert.equal(out.accepted, false);
  assert.deepEqual(out.codes, ['too_short', 'keypad_line']);
  assert.ok(out.password.includes('contains_alias'), out.password.join());
  assert.deepEqual([out.dial.allowed, out.dial.reason], [false, 'matched']);
});

// A static server for the bundle, on a port the system picks.
async function serve(dir) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const log = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const rel = normalize(decodeURIComponent(path === '/' ? '/index.html' : path)).replace(/^[/\\]+/, '');
    const file = join(dir, rel);
    log.push(path);
    if (rel.startsWith('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, log, close: () => new Promise((ok) => server.close(ok)) };
}

test('a browser: a page importing the package, bundled by Vite with no configuration, in headless Chromium', { skip: skipBrowser }, async () => {
  const web = join(project, 'web');
  mkdirSync(web);
  writeFileSync(join(web, 'index.html'), '<!doctype html><meta charset="utf-8"><title>tollgate</title><link rel="icon" href="data:,"><pre id="out"></pre><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(web, 'main.js'), `
    import { load } from '@tollgate/tollgate';
    try {
      const tg = await load();
      const pin = tg.checkPin('2580', { extensions: ['4021'] });
      // Regex rows in a browser: the async entry point downloads regex.wasm.
      const { handle } = await tg.loadTablesAsync({ tables: [{ name: 'r', dialect: 'regex', no_match: 'allowed', rows: [{ pattern: '(?<=^9)011\\\\d+$' }] }] });
      const dial = tg.dial('9011441234', { tables: handle, table: 'r' });
      await tg.setLang('fr');
      const fr = tg.checkPin('2580');
      // Data artifacts in a browser: fetched by the async entry points when first needed.
      const nist = await tg.checkPasswordAsync('P@ssw0rd12345678', {}, { policy: 'nist-800-63b-4' });
      const dest = await tg.dialAsync('918095550100', { tables: { region: { country: 'US' }, tables: [{ name: 'T', rows: [{ pattern: '9*', blocked: false }, { pattern: '*', blocked: true }] }] } });
      window.__result = { pin, dial, fr, nist, dest };
    } catch (e) {
      window.__result = { error: String(e && e.stack || e) };
    }
  `);
  const { build } = await import('vite');
  const warnings = [];
  const logger = {
    info() {}, clearScreen() {}, hasErrorLogged: () => false, hasWarned: false,
    warn: (m) => warnings.push(m), warnOnce: (m) => warnings.push(m), error: (m) => warnings.push(m),
  };
  const dist = join(project, 'dist');
  await build({ root: web, configFile: false, logLevel: 'warn', customLogger: logger, build: { outDir: dist, emptyOutDir: true } });
  assert.deepEqual(warnings, [], 'the package bundles without a warning');
  const assets = readdirSync(join(dist, 'assets'));
  for (const m of ['tollgate', 'regex']) {
    const emitted = assets.find((f) => f.startsWith(`${m}-`) && f.endsWith('.wasm'));
    assert.ok(emitted, `Vite emitted no ${m}.wasm (${assets})`);
    assert.ok(readFileSync(join(dist, 'assets', emitted)).equals(readFileSync(copied[`${m}.wasm`])), `the bundled ${m}.wasm differs`);
  }

  const server = await serve(dist);
  const profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    const requests = [];
    context.on('request', (r) => requests.push(r.url()));
    await page.goto(server.url + '/');
    await page.waitForFunction(() => window.__result, null, { timeout: 60000 });
    const r = await page.evaluate(() => window.__result);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.pin.accepted, false);
    assert.ok(r.pin.reasons.some((x) => x.code === 'keypad_line' && x.start === 0 && x.end === 4), JSON.stringify(r.pin));
    assert.deepEqual([r.dial.allowed, r.dial.reason, r.dial.row], [false, 'matched', 0]);
    const fr = r.fr.reasons.find((x) => x.code === 'keypad_line');
    assert.match(fr.message, /clavier/, 'the French catalogue came with the bundle');
    assert.deepEqual(r.nist.reasons.map((x) => [x.code, x.detail]), [['common', 'list']], 'passwords.tgd came with the bundle');
    assert.deepEqual(r.dest.destination, { country: 'DO', region: '+1', type: 'fixed_or_mobile', tier: 'high' }, 'destinations.tgd came with the bundle');
    assert.deepEqual(problems, []);
    // Everything came from the bundle's own server, each module once.
    assert.deepEqual(requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:')), []);
    for (const m of ['tollgate', 'regex']) {
      assert.equal(server.log.filter((p) => basename(p).startsWith(`${m}-`) && p.endsWith('.wasm')).length, 1, `${m}.wasm fetched once`);
    }
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
