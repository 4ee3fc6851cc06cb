// The demo's "Audit an export" view in a real headless Chromium (Debian's,
// driven by playwright-core): the sample export dropped on the page and a
// generated 100 000-row file picked, audited in the page's Web Worker by the
// committed module; the JSON Lines and CSV reports the page makes are the
// CLI's byte for byte (`tollgate audit --format json|csv`), its summary the
// CLI's (less the run's own name, time and PBKDF2 estimate); filters,
// Cancel, and no request beyond the page's own files (every request
// recorded). A screenshot of the sample's summary goes to
// out/audit-demo.png (docs/img/audit-demo.png is a copy of it).
//
// Run it under the heavy-work lock on a shared machine:
//   flock /work/helpers/heavy.lock node --test test/audit-browser.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../demo/serve.mjs';
import { root } from './corpus.mjs';
import { need } from './env.mjs';
import { chromiumPath, haveBrowser, chromiumArgs, skipBrowser } from './chromium.mjs';
import { load, auditModuleURL } from '../tollgate.js';

const outDir = join(root, 'out');
const sample = join(root, 'testdata', 'csv', 'sample-users.csv');

// The module must have the audit operations (docs/abi.md, "Audit"); a
// module built before them cannot run this test, and says so.
async function moduleAudits() {
  const tg = await load({ module: auditModuleURL });
  const res = JSON.parse(tg.callText('audit.open', '{}'));
  return res.error?.code !== 'unknown_op';
}

const haveGo = spawnSync('go', ['version']).status === 0;
const skip = skipBrowser || need('go', haveGo, 'install Go 1.26') ||
  (!(await moduleAudits()) && 'wasm/tollgate-audit.wasm has no audit operations (audit.open answers unknown_op)');

let server;
let context;
let page;
let dir;
let cli;
let big;
const requests = [];
const pageErrors = [];

before(async () => {
  if (skip) return;
  assert.ok(haveBrowser, `no Chromium at ${chromiumPath}`);
  dir = mkdtempSync(join(tmpdir(), 'tollgate-audit-browser-'));
  cli = join(dir, 'tollgate');
  execFileSync('go', ['build', '-o', cli, './cmd/tollgate'], { cwd: root, stdio: 'inherit' });
  big = join(dir, 'users-100k.csv');
  execFileSync('go', ['run', './cmd/internal/gencsv', '-n', '100000', '-o', big], { cwd: root, stdio: 'inherit' });
  const { chromium } = await import('playwright-core');
  server = await startServer({ port: 0 });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    // gc() in the page, for the test of a File read under the collector.
    executablePath: chromiumPath, headless: true, args: [...chromiumArgs, '--js-flags=--expose-gc'], viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1,
  });
  context.on('request', (r) => requests.push(r.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(120000);
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => pageErrors.push(`uncaught: ${e.message}`));
  await server.warm;
  await page.goto(`${server.url}/demo/#audit`);
  await page.waitForFunction(() => window.__audit); // the view's code is loaded when it is first shown
});

after(async () => {
  await context?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runCLI(input, format, extra = []) {
  const out = join(dir, `cli.${format}`);
  const sum = join(dir, 'cli-summary.json');
  const r = spawnSync(cli, ['audit', '--engine', 'wasm', ...extra, '--format', format, '-o', out, '--summary', sum, input], { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `tollgate audit: status ${r.status}: ${r.stderr}`);
  return { report: readFileSync(out), summary: JSON.parse(readFileSync(sum, 'utf8')) };
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

async function finished() {
  await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.__audit.state), null, { timeout: 300000 });
  const st = await page.evaluate(() => ({ state: window.__audit.state, error: window.__audit.error }));
  assert.equal(st.state, 'done', `the page's audit ended ${st.state}: ${st.error}`);
}

// The page's reports, by hash (a 100 000-row report is tens of MB). Each
// is bounded, since page.evaluate has no timeout of its own: a run of
// .ci/run once waited here for ever on a report's worker, whose File read
// the collector had stalled (docs/performance.md, "A report that never
// came"); should a worker hang again, the test fails, naming the report.
function pageReports() {
  return page.evaluate(async (ms) => {
    const hex = async (blob) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const r = (f) => { // made when first asked for, as a download click does
      let timer;
      const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`the ${f} report was not made in ${ms / 1000} s (audit state ${window.__audit.state})`)), ms); });
      return Promise.race([window.__audit.report(f), late]).finally(() => clearTimeout(timer));
    };
    return { json: await hex(await r('json')), csv: await hex(await r('csv')), htmlStart: (await (await r('html')).slice(0, 15).text()), summary: window.__audit.summary };
  }, 240000);
}

// The summary less what names the run (its input's path, its time) and the
// PBKDF2 estimate, which is a measure of the machine.
function comparable(s) {
  const c = structuredClone(s);
  delete c.input;
  delete c.seconds;
  if (c.pbkdf2) { delete c.pbkdf2.estimated_seconds; delete c.pbkdf2.workers; }
  return c;
}

async function checkAgainstCLI(input, extra = []) {
  const json = runCLI(input, 'json', extra);
  const csv = runCLI(input, 'csv', extra);
  const got = await pageReports();
  assert.equal(got.json, sha(json.report), 'the JSON Lines report is the CLI\'s byte for byte');
  assert.equal(got.csv, sha(csv.report), 'the CSV report is the CLI\'s byte for byte');
  assert.equal(got.htmlStart, '<!doctype html>');
  assert.deepEqual(comparable(got.summary), comparable(json.summary));
  return got.summary;
}

test('the sample export, dropped on the page, gives the CLI\'s records and summary', { skip }, async () => {
  const bytes = readFileSync(sample).toString('base64');
  await page.evaluate((b64) => {
    const bin = atob(b64);
    const u8 = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([u8], 'sample-users.csv', { type: 'text/csv' }));
    document.getElementById('audit-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await finished();
  // A download's report is made when it is clicked: the CSV one, downloaded, is the CLI's.
  assert.doesNotMatch(await page.locator('#audit-dl-csv').getAttribute('href'), /^blob:/);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#audit-dl-csv')]);
  assert.equal(dl.suggestedFilename(), 'sample-users.audit.csv');
  assert.equal(sha(readFileSync(await dl.path())), sha(runCLI(sample, 'csv').report), 'the downloaded CSV report is the CLI\'s');
  const sum = await checkAgainstCLI(sample);
  assert.equal(sum.rows, 300);
  // The summary shows, with a chart per count.
  assert.equal(await page.locator('#audit-charts svg').count(), 2);
  assert.match(await page.locator('#audit-tiles').textContent(), /300\s*rows/);
  const shown = await page.locator('#audit-table tbody tr').count();
  assert.ok(shown > 0);
  // The notes the CLI prints on stderr are on the page: they say what
  // the audit did not check (the page showed none).
  const notes = await page.evaluate(() => window.__audit.notes);
  assert.ok(notes.some((n) => n.includes('is not in the restriction tables')), notes.join('\n'));
  assert.deepEqual(await page.locator('#audit-notes li').allTextContents(), notes);
});

// The NIST profile checks passwords against the breached-password list,
// which the page reads only when first needed; inside audit.rows a browser
// cannot wait for it, so the audit reads it before it starts (regression:
// the rows answered data_missing).
test('under the NIST profile the page reads the password list first and gives the CLI\'s records', { skip }, async () => {
  const bytes = readFileSync(sample).toString('base64');
  await page.selectOption('#audit-policy', 'nist-800-63b-4');
  await page.evaluate((b64) => {
    const u8 = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([u8], 'sample-users.csv', { type: 'text/csv' }));
    document.getElementById('audit-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await finished();
  const sum = await checkAgainstCLI(sample, ['--policy', 'nist-800-63b-4']);
  assert.ok(requests.some((u) => u.endsWith('/passwords.tgd')), 'the page read the password list');
  assert.equal(sum.rows, 300);
  await page.selectOption('#audit-policy', 'cuc');
});

test('screenshot of the sample\'s audit (out/audit-demo.png)', { skip }, async () => {
  mkdirSync(outDir, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(outDir, 'audit-demo.png'), fullPage: true });
});

test('the records table filters by code and class of service, and from a chart bar', { skip }, async () => {
  await page.selectOption('#audit-f-code', 'shared_pin');
  const codes = await page.$$eval('#audit-table tbody tr', (rs) => rs.map((r) => r.dataset.code));
  assert.ok(codes.length > 0 && codes.every((c) => c === 'shared_pin'), String(codes));
  await page.selectOption('#audit-f-code', '');
  await page.locator('#audit-charts a[href="#cos=Executives"]').click();
  const cos = await page.$$eval('#audit-table tbody tr', (rs) => rs.map((r) => r.dataset.cos));
  assert.ok(cos.length > 0 && cos.every((c) => c === 'Executives'), String(cos));
  await page.fill('#audit-f-q', 'zzz-no-such-row');
  assert.equal(await page.locator('#audit-table tbody tr').count(), 0);
  await page.fill('#audit-f-q', '');
  await page.selectOption('#audit-f-cos', '');
});

test('the downloads, once made, are the page\'s own Blobs', { skip }, async () => {
  for (const f of ['html', 'csv', 'json']) {
    assert.match(await page.locator(`#audit-dl-${f}`).getAttribute('href'), /^blob:/);
  }
});

test('a generated 100 000-row file, picked, gives the CLI\'s records and summary', { skip, timeout: 900000 }, async (t) => {
  await page.setInputFiles('#audit-file', big);
  await finished();
  const sum = await checkAgainstCLI(big);
  assert.equal(sum.rows, 100000);
  const { progress, rowsPerSecond } = await page.evaluate(() => ({ progress: window.__audit.progress, rowsPerSecond: window.__audit.rowsPerSecond }));
  const fr = progress.map((p) => p.fraction);
  assert.ok(fr.length >= 2, 'progress was reported');
  assert.ok(fr.every((f, i) => i === 0 || f >= fr[i - 1]), 'the fraction never decreases');
  assert.equal(fr.at(-1), 1);
  assert.ok(progress.some((p) => p.pass === 'count') && progress.some((p) => p.pass === 'check'), 'both passes reported');
  t.diagnostic(`100 000 rows in Chromium: ${Math.round(rowsPerSecond)} rows/s`);
});

// The audit reads a File twice, each pass through a BYOB reader of
// File.stream(). Chromium collected a stream that only its own pending read
// referred to, and the read never settled: with a collection between reads
// the old readChunks stopped at byte 0 every time, and under load the
// page's report workers now and then waited for ever (docs/performance.md,
// "A report that never came"). The bound is for a hang: the reads take
// well under a second.
test('a File read twice survives the collector running between its reads', { skip }, async () => {
  const size = 8 << 20;
  const got = await page.evaluate(async (size) => {
    const { readChunks } = await import('/audit.js');
    const file = new File([new Uint8Array(size).fill(0x41)], 'gc.csv');
    let n = 0;
    let last = Date.now();
    const collect = setInterval(() => gc(), 5);
    let watch;
    const stalled = new Promise((resolve) => {
      watch = setInterval(() => { if (Date.now() - last > 20000) resolve(`no bytes for 20 s, ${n} read`); }, 250);
    });
    const read = (async () => {
      for (let pass = 0; pass < 2; pass++) {
        for await (const c of readChunks(file, 256 << 10, true)) { n += c.length; last = Date.now(); }
      }
      return n;
    })();
    try {
      return await Promise.race([read, stalled]);
    } finally {
      clearInterval(collect);
      clearInterval(watch);
    }
  }, size);
  assert.equal(got, 2 * size);
});

test('Cancel stops a running audit', { skip }, async () => {
  await page.setInputFiles('#audit-file', big);
  await page.waitForFunction(() => window.__audit.progress.length > 0);
  await page.click('#audit-cancel');
  await page.waitForFunction(() => window.__audit.state !== 'running');
  assert.equal(await page.evaluate(() => window.__audit.state), 'cancelled');
  assert.equal(await page.locator('#audit-status').textContent(), 'Cancelled.');
});

// dropFile drops a File of text named name on the page.
function dropFile(name, text) {
  return page.evaluate(([name, text]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'text/csv' }));
    document.getElementById('audit-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [name, text]);
}

// A report still being made when another file is audited was left to
// run in its worker, and its "another file was audited meanwhile" then
// put an error over the new audit's status.
test('a report being made when another file is audited is stopped, and leaves the new audit\'s status alone', { skip }, async () => {
  await dropFile('first.csv', readFileSync(sample, 'utf8'));
  await finished();
  const stale = page.evaluate(() => window.__audit.report('html').then(() => 'made', (e) => e.name));
  await dropFile('second.csv', readFileSync(sample, 'utf8'));
  assert.equal(await stale, 'AbortError', 'the old report was stopped');
  await finished();
  const st = await page.evaluate(() => { const s = document.getElementById('audit-status'); return { text: s.textContent, error: s.classList.contains('error') }; });
  assert.match(st.text, /^Done: 300 rows/);
  assert.equal(st.error, false);
});

// The summary counts the first 1 000 classes of service by name and the
// rest as "(other)" (as the CLI's does); the filter offered "(other)",
// which matched no row, and the folded classes could not be found.
test('the class-of-service filter\'s "(other)" shows the rows of the classes the summary folds', { skip }, async () => {
  const rows = ['Alias,PIN,COS'];
  for (let i = 0; i < 1003; i++) rows.push(`u${i},1111,cos${String(i).padStart(4, '0')}`);
  await dropFile('many-cos.csv', rows.join('\n') + '\n');
  await finished();
  assert.equal(await page.evaluate(() => window.__audit.summary.users_by_cos['(other)']), 3);
  await page.selectOption('#audit-f-cos', '(other)');
  const cos = await page.$$eval('#audit-table tbody tr', (rs) => [...new Set(rs.map((r) => r.dataset.cos))]);
  assert.deepEqual(cos, ['cos1000', 'cos1001', 'cos1002']);
  await page.selectOption('#audit-f-cos', '');
  await page.fill('#audit-f-q', 'cos1002');
  assert.deepEqual(await page.$$eval('#audit-table tbody tr', (rs) => [...new Set(rs.map((r) => r.dataset.cos))]), ['cos1002']);
  await page.fill('#audit-f-q', '');
});

// The file input is invisible over the drop zone: the zone shows its focus.
test('the drop zone shows keyboard focus', { skip }, async () => {
  const outline = () => page.$eval('#audit-drop', (d) => getComputedStyle(d).outlineStyle);
  await page.evaluate(() => document.activeElement?.blur());
  assert.equal(await outline(), 'none');
  await page.focus('#audit-file');
  assert.notEqual(await outline(), 'none');
  await page.evaluate(() => document.activeElement?.blur());
});

// A picked file is read from its disk as the audit goes; changed after
// it was picked, Chromium's read fails with "network error".
test('a picked file changed on disk gives an error that says so', { skip }, async () => {
  const f = join(dir, 'changing.csv');
  writeFileSync(f, readFileSync(sample));
  await page.setInputFiles('#audit-file', f);
  await finished();
  appendFileSync(f, 'late,Late,User,29999,,739146,,,,Executives,,,,,,\r\n');
  const msg = await page.evaluate(() => window.__audit.report('csv').then(() => 'made', (e) => e.detail ?? e.message));
  assert.match(msg, /^changing\.csv: the file can no longer be read: it changed, moved or was deleted since it was picked; pick it again/);
});

test('the page made no request beyond its own files, and no error', { skip }, () => {
  const foreign = requests.filter((u) => !u.startsWith(server.url + '/') && !u.startsWith('blob:' + server.url) && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  // Its own files only: the page, its scripts, the module and the data.
  const paths = [...new Set(requests.filter((u) => u.startsWith(server.url)).map((u) => new URL(u).pathname))].sort();
  for (const p of paths) assert.match(p, /^\/(demo\/.*|[a-z-]+\.(js|wasm|tgd|json))$/, p);
  assert.ok(paths.includes('/audit-worker.js'), String(paths));
  // The audit view loads the audit module only (in its worker), not the settings' checker.
  assert.ok(paths.includes('/tollgate-audit.wasm') && !paths.includes('/tollgate.wasm'), String(paths));
  assert.deepEqual(pageErrors, []);
});
