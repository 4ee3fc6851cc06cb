// The demo page in a real headless Chromium (Debian's, driven by
// playwright-core): verdicts on every keystroke, spans highlighted, the
// forwarding check, translation, no request beyond the page's own files,
// and a screenshot of the filled form in out/. Load time and keystroke-to-
// verdict time are reported, not asserted.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../demo/serve.mjs';
import { root } from './corpus.mjs';

import { chromiumPath, haveBrowser, chromiumArgs, skipBrowser } from './chromium.mjs';

const outDir = join(root, 'out');

let server;
let context;
let page;
let profileDir;
const requests = [];
const pageErrors = []; // console errors and uncaught exceptions

const skip = skipBrowser;

before(async () => {
  if (skip) return;
  assert.ok(haveBrowser, `no Chromium at ${chromiumPath}: run make js-deps`);
  const { chromium } = await import('playwright-core');
  server = await startServer({ port: 0 });
  profileDir = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  context.on('request', (r) => requests.push(r.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60000);
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => pageErrors.push(`uncaught: ${e.message}`));
  await server.warm; // compress the module first: load time is the browser's
  await page.goto(`${server.url}/demo/`);
  await page.waitForFunction(() => window.__tollgate && (window.__tollgate.ready || window.__tollgate.error), null, { timeout: 120000 }); // generous: CI machines are shared
  const err = await page.evaluate(() => window.__tollgate.error);
  assert.equal(err, null, `the page could not load the module: ${err}`);
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function typeInto(selector, text) {
  await page.fill(selector, '');
  await page.type(selector, text);
}

const verdict = (id) => page.locator(`#${id}`);

test('typing 2580 shows the keypad reason', { skip }, async () => {
  await typeInto('#pin', '2580');
  await page.locator('#pin-verdict [data-code="keypad_line"]').waitFor();
  assert.equal(await verdict('pin-verdict').getAttribute('data-accepted'), 'false');
  const text = await page.locator('#pin-verdict [data-code="keypad_line"]').textContent();
  assert.match(text, /keypad/);
});

test('a good PIN is accepted', { skip }, async () => {
  await typeInto('#pin', '730196');
  assert.equal(await verdict('pin-verdict').getAttribute('data-accepted'), 'true');
  assert.equal(await page.locator('#pin-verdict [data-code]').count(), 0);
});

test('a PIN containing the extension names it and highlights that part', { skip }, async () => {
  await typeInto('#extension', '4021');
  await typeInto('#pin', '914021');
  const r = page.locator('#pin-verdict [data-code="contains_extension"]');
  await r.waitFor();
  assert.deepEqual([await r.getAttribute('data-start'), await r.getAttribute('data-end')], ['2', '6']);
  const marks = await page.$$eval('#pin-strip .cell', (cells) => cells.map((c) => c.classList.contains('hl')));
  assert.deepEqual(marks, [false, false, true, true, true, true]);
  assert.equal(await page.locator('#pin-strip').textContent(), '••••••', 'the PIN is shown masked');
});

test('confirming with a different PIN says so; the same PIN clears it', { skip }, async () => {
  await typeInto('#pin', '730196');
  await typeInto('#pin-confirm', '730197');
  assert.equal(await page.locator('#pin-verdict [data-code="confirm_mismatch"]').count(), 1);
  await typeInto('#pin-confirm', '730196');
  assert.equal(await verdict('pin-verdict').getAttribute('data-accepted'), 'true');
});

// The data artifacts are read on first need (docs/js.md): a PIN needs
// neither the breached-password list nor the destination data.
const dataRequests = () => requests.filter((u) => /\.tgd(\?|$)/.test(u));

test('the PIN view requests neither data artifact', { skip }, async () => {
  await typeInto('#pin', '2580');
  await typeInto('#pin-confirm', '2580');
  await page.locator('#pin-verdict [data-code="keypad_line"]').waitFor();
  assert.deepEqual(dataRequests(), []);
  assert.ok(!server.log.some((e) => e.path.endsWith('.tgd')), 'the server saw no request for a .tgd');
  await typeInto('#pin-confirm', '');
});

test('a password containing the alias', { skip }, async () => {
  await typeInto('#alias', 'alovelace');
  await typeInto('#password', 'alovelace-1815');
  const r = page.locator('#password-verdict [data-code="contains_alias"]');
  await r.waitFor();
  assert.equal(await verdict('password-verdict').getAttribute('data-accepted'), 'false');
});

test('forwarding to 9011441234567 is blocked', { skip }, async () => {
  await typeInto('#forward-number', '9011441234567');
  const note = await page.locator('#forward-verdict li').first().getAttribute('data-error');
  assert.equal(note, null, `the module could not check the number (${note})`);
  assert.equal(await verdict('forward-verdict').getAttribute('data-accepted'), 'false');
  const r = page.locator('#forward-verdict [data-code="matched"]');
  assert.equal(await r.count(), 1);
  assert.match(await r.getAttribute('data-pattern'), /^9011/);
  const marks = await page.$$eval('#forward-strip .cell', (cells) => cells.map((c) => c.classList.contains('hl')));
  assert.deepEqual(marks.slice(0, 5), [true, true, true, true, false], 'the 9011 the blocking row starts with is marked');
  await typeInto('#forward-number', '4085551234');
  assert.equal(await verdict('forward-verdict').getAttribute('data-accepted'), 'true');
});

test('the demo numbers table rows from 0, as the CLI and the Go API do', { skip }, async () => {
  // `tollgate dial 9011441234567` prints "blocked  9011441234567  Default
  // Transfer row 1 9011???????*": row 0 is the first row. The Go API (the
  // CLI's) answers each number here; the page must name the same row.
  const numbers = ['9011441234567', '4085551234'];
  const pairs = numbers.map((number) => ['dial', JSON.stringify({ tables: 'default', table: 'Default Transfer', number })]);
  const native = JSON.parse(execFileSync('go', ['run', './js/internal/jsgen', 'do'], { cwd: root, input: JSON.stringify(pairs), encoding: 'utf8' }))
    .map((t) => JSON.parse(t));
  assert.equal(native[0].row, 1, 'the Go API puts 9011441234567 on row 1 of Default Transfer');
  for (const [i, number] of numbers.entries()) {
    const want = native[i];
    await typeInto('#forward-number', number);
    const li = page.locator('#forward-verdict li').first();
    await page.waitForFunction((allowed) => document.querySelector('#forward-verdict')?.dataset.accepted === String(allowed), want.allowed);
    assert.equal(await li.getAttribute('data-row'), String(want.row), `${number}: data-row`);
    assert.ok((await li.textContent()).includes(`row ${want.row} of “${want.table}”`), `${number}: "${await li.textContent()}" names row ${want.row}`);
  }
  await page.click('#lang-fr');
  await page.waitForFunction(() => document.documentElement.lang === 'fr');
  assert.ok((await page.locator('#forward-verdict li').first().textContent()).includes(`ligne ${native[1].row} de « Default Transfer »`));
  await page.click('#lang-en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
});

test('French: same codes, messages in French', { skip }, async () => {
  await typeInto('#pin', '914021');
  await page.click('#lang-fr');
  const r = page.locator('#pin-verdict [data-code="contains_extension"]');
  await page.waitForFunction(() => document.documentElement.lang === 'fr');
  assert.equal(await r.textContent(), "N'incluez pas votre poste principal.");
  mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: join(outDir, 'demo-fr.png'), fullPage: true });
  await page.click('#lang-en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await r.textContent(), /extension/);
});

test('in the browser each artifact is fetched on the first operation that needs it, once', { skip }, async () => {
  const before = dataRequests().length;
  const out = await page.evaluate(async () => {
    const { load } = await import('/tollgate.js');
    const tg = await load();
    const doc = { region: { country: 'US' }, tables: [{ name: 'T', rows: [{ pattern: '9011*', blocked: true }, { pattern: '9*', blocked: false }, { pattern: '*', blocked: true }] }] };
    const pin = tg.checkPin('2580').accepted;
    const pending = tg.dataPending;
    // A synchronous call cannot wait for a download: it says how.
    const refused = tg.call('tables.load', doc).error;
    const dial = await tg.dialAsync('918095550100', { tables: doc });
    const again = await tg.dialAsync('918765550100', { tables: doc });
    const nist = await tg.checkPasswordAsync('P@ssw0rd12345678', {}, { policy: 'nist-800-63b-4' });
    return { pin, pending, refused, dest: [dial.destination, again.destination], nist: nist.reasons.map((r) => r.detail), data: tg.data.map((d) => d.name) };
  });
  assert.equal(out.pin, false);
  assert.deepEqual(out.pending, ['passwords', 'destinations']);
  assert.equal(out.refused.code, 'data_missing');
  assert.match(out.refused.message, /dialAsync/);
  assert.deepEqual(out.dest.map((d) => d.country), ['DO', 'JM']);
  assert.equal(out.dest[0].tier, 'high');
  assert.deepEqual(out.nist, ['list']);
  assert.deepEqual(out.data, ['destinations', 'passwords']);
  const fetched = dataRequests().slice(before).map((u) => new URL(u).pathname);
  assert.deepEqual(fetched, ['/destinations.tgd', '/passwords.tgd'], 'each artifact once, when first needed');
});

test('a panicked instance is replaced in the browser too', { skip }, async () => {
  const out = await page.evaluate(async () => {
    const { load } = await import('/tollgate.js');
    const tg = await load();
    const before = tg.callText('pin', '{"pin":"2580"}');
    let code = null;
    try {
      tg.debugFault(1);
    } catch (e) {
      code = e.code;
    }
    return { code, same: tg.callText('pin', '{"pin":"2580"}') === before };
  });
  assert.deepEqual(out, { code: 'panic', same: true });
});

test('screenshot of the filled form (out/demo-filled.png)', { skip }, async () => {
  await typeInto('#extension', '4021');
  await typeInto('#first-name', 'Ada');
  await typeInto('#last-name', 'Lovelace');
  await typeInto('#pin', '914021');
  await typeInto('#pin-confirm', '914021');
  await typeInto('#alias', 'alovelace');
  await typeInto('#password', 'Lovelace1815');
  await typeInto('#forward-number', '9011441234567');
  await page.mouse.move(0, 0);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'demo-filled.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(existsSync(file));
  // The same form on a phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(outDir, 'demo-mobile.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
});

test('the page requested nothing but its own files', { skip }, async () => {
  const own = new Set([
    '/demo/', '/demo/demo.css', '/demo/demo.js', '/tollgate.js', '/wasi.js', '/abi.js', '/regex.js',
    '/tollgate.wasm', '/passwords.tgd', '/destinations.tgd', '/data.js', '/messages.fr.json', '/messages.en.json',
  ]);
  const foreign = requests.filter((u) => {
    if (u.startsWith('data:')) return false;
    const url = new URL(u);
    return url.origin !== server.url || !own.has(url.pathname);
  });
  assert.deepEqual(foreign, []);
  assert.ok(server.log.some((e) => e.path === '/tollgate.wasm' && e.status === 200));
});

test('a page that never uses regex never downloads regex.wasm', { skip }, () => {
  assert.deepEqual(requests.filter((u) => u.includes('regex.wasm')), []);
  assert.ok(!server.log.some((e) => e.path === '/regex.wasm'));
});

test('a regex table in the browser: regex.wasm is fetched once, on demand, and the verdicts are Go\'s', { skip }, async () => {
  const doc = { tables: [{ name: 'r', dialect: 'regex', min_digits: 1, max_digits: 20, rows: [
    { pattern: '(?<=9)011', blocked: true }, { pattern: '^9[2-9]\\d{9}$', blocked: false }, { pattern: '^\\d+$', blocked: false },
  ] }] };
  const numbers = ['9011441234', '92125551234', '١٢٣', '8011', '1900'];
  const out = await page.evaluate(async ({ doc, numbers }) => {
    const { load } = await import('/tollgate.js');
    const tg = await load();
    const before = tg.regexReady;
    // A synchronous call cannot wait for a download: it says how to enable it.
    const refused = tg.call('tables.load', doc).error?.message ?? '';
    const loaded = await tg.loadTablesAsync(doc);
    const texts = numbers.map((number) => tg.callText('dial', JSON.stringify({ tables: loaded.handle, table: 'r', number })));
    await tg.enableRegex(); // already loaded: no second download
    return { before, refused, after: tg.regexReady, texts };
  }, { doc, numbers });
  assert.equal(out.before, false);
  assert.match(out.refused, /enableRegex/);
  assert.equal(out.after, true);
  const pairs = [['tables.load', JSON.stringify(doc)], ...numbers.map((number) => ['dial', JSON.stringify({ tables: 0, table: 'r', number })])];
  const native = JSON.parse(execFileSync('go', ['run', './js/internal/jsgen', 'do'], { cwd: root, input: JSON.stringify(pairs), encoding: 'utf8' }));
  assert.deepEqual(out.texts, native.slice(1));
  assert.ok(out.texts.some((t) => t.includes('"allowed":false')) && out.texts.some((t) => t.includes('"allowed":true')));
  assert.equal(server.log.filter((e) => e.path === '/regex.wasm' && e.status === 200).length, 1, 'fetched exactly once');
});

test('no console error, warning or uncaught exception (CSP violations included)', { skip }, () => {
  assert.deepEqual(pageErrors, []);
});

test('timings (reported, not asserted)', { skip }, async (t) => {
  // 40 keystrokes, one at a time, each timed from the input event to the verdict in the DOM.
  await page.evaluate(() => { window.__tollgate.verdictMillis.length = 0; });
  for (let k = 0; k < 5; k++) {
    await typeInto('#pin', '73019625');
    await typeInto('#password', 'Lovelace1815');
    await typeInto('#forward-number', '9011441234');
  }
  const { loadMillis, verdictMillis } = await page.evaluate(() => window.__tollgate);
  const sorted = [...verdictMillis].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const wasm = server.log.find((e) => e.path === '/tollgate.wasm');
  // The same measurements as js/bench/bench.mjs in Node, here in Chromium.
  const inPage = await page.evaluate(async () => {
    const bytes = new Uint8Array(await (await fetch('/tollgate.wasm')).arrayBuffer());
    const { measure } = await import('/bench/measure.js');
    return measure(bytes);
  });
  const report = {
    chromium: await context.browser()?.version() ?? 'persistent context',
    module_load_ms: Math.round(loadMillis * 10) / 10,
    keystroke_to_verdict_ms: { n: sorted.length, median: +q(0.5).toFixed(2), p95: +q(0.95).toFixed(2), max: +sorted.at(-1).toFixed(2) },
    wasm_over_the_wire: { encoding: wasm?.encoding, bytes: wasm?.bytes },
    measure: inPage,
  };
  t.diagnostic(JSON.stringify(report));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'browser-timings.json'), JSON.stringify(report, null, 2) + '\n');
});
