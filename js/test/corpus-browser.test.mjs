// The conformance corpus in a real browser (issue 18 item 1: the same
// answers in Go, wazero, Node and the browser). The package's own
// tollgate.js, served by js/demo/serve.mjs with the demo's headers (CSP,
// compression), loads the committed module in headless Chromium; every case
// of testdata/vectors/*.json runs in the page in corpus order, in one
// instance (handles depend on the session, as in Go's runner), and the raw
// response texts come back. They must be byte for byte what the same
// tollgate.js answers in this Node process for the same cases, and match
// the corpus's wants by Go's rules (exceptions.json's entries for node).
//
// The data artifacts are read as a browser reads them: fetched lazily. A
// synchronous callText in a page cannot wait for a fetch, so a case that
// first needs one answers data_missing naming it; the page then awaits
// tg.loadData(name) and runs the same callText again — what the async entry
// points (callAsync, dialAsync, ...) do inside, without re-encoding the
// request text, which must reach the module as the corpus file spells it.
// Likewise the regex module is fetched (tg.enableRegex) before the first
// request that mentions regex, as the async entry points decide.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../demo/serve.mjs';
import { load } from '../tollgate.js';
import { loadCorpus, loadExceptions, match } from './corpus.mjs';
import { chromiumPath, haveBrowser, chromiumArgs, skipBrowser } from './chromium.mjs';

const skip = skipBrowser;
const cases = loadCorpus();
const exceptions = loadExceptions('node');

let server;
let context;
let profileDir;
let page;
const requests = [];
const pageErrors = [];
let browser; // {responses, loads, dataPendingAtLoad, regexAt} from the page
let node; // the same cases' responses in this process

// A response as both sides report it: the module's text, or a fault.
const FAULT = '\u0000fault: ';

function runNode(tg) {
  return cases.map((c) => {
    try {
      return tg.callText(c.op, c.request);
    } catch (e) {
      return `${FAULT}${e.code}: ${e.message}`;
    }
  });
}

// runInPage runs in Chromium: pairs is [[op, request text], ...].
async function runInPage(pairs) {
  const FAULT = '\u0000fault: ';
  const { load } = await import(new URL('/tollgate.js', location.href).href);
  const tg = await load();
  const dataPendingAtLoad = tg.dataPending;
  const loads = []; // [case index, artifact name]
  let regexAt = -1;
  const lacked = (text) => {
    if (!text.startsWith('{"error":')) return null;
    const { error } = JSON.parse(text);
    if (error.code !== 'data_missing') return null;
    return tg.dataPending.find((name) => error.message.includes(`"${name}" data artifact`)) ?? null;
  };
  const responses = [];
  for (const [i, [op, request]] of pairs.entries()) {
    try {
      if (!tg.regexReady && request.includes('regex')) {
        await tg.enableRegex();
        regexAt = i;
      }
      let text = tg.callText(op, request);
      for (let name = lacked(text); name !== null; name = lacked(text)) {
        await tg.loadData(name);
        loads.push([i, name]);
        text = tg.callText(op, request);
      }
      responses.push(text);
    } catch (e) {
      responses.push(`${FAULT}${e.code}: ${e.message}`);
    }
  }
  return { responses, loads, dataPendingAtLoad, regexAt, dataAtEnd: tg.dataPending };
}

before(async () => {
  node = runNode(await load());
  if (skip) return;
  assert.ok(haveBrowser, `no Chromium at ${chromiumPath}: run make js-deps`);
  const { chromium } = await import('playwright-core');
  server = await startServer({ port: 0 });
  profileDir = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: chromiumPath, headless: true, args: chromiumArgs });
  context.on('request', (r) => requests.push(r.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60000);
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => pageErrors.push(`uncaught: ${e.message}`));
  await server.warm;
  // A document of the server's origin under its CSP (script-src 'self'
  // 'wasm-unsafe-eval', connect-src 'self'): the package's JSON catalogue.
  await page.goto(`${server.url}/messages.en.json`);
  browser = await page.evaluate(runInPage, cases.map((c) => [c.op, c.request]));
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

// firstDifference shows where two responses part, with a little context.
function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `at character ${i}:\n  node:     …${a.slice(from, i + 60)}…\n  chromium: …${b.slice(from, i + 60)}…`;
}

test('the corpus is not empty', () => {
  assert.ok(cases.length > 0, 'empty corpus (testdata/vectors/*.json)');
});

test('every corpus case answers in Chromium byte for byte what Node answers', { skip }, () => {
  assert.equal(browser.responses.length, cases.length, 'the page answered a different number of cases');
  const diffs = [];
  for (const [i, c] of cases.entries()) {
    if (browser.responses[i] !== node[i]) diffs.push(`${c.file}:${c.line}: ${c.name}: differs ${firstDifference(node[i], browser.responses[i])}`);
  }
  if (diffs.length > 0) assert.fail(`${diffs.length} of ${cases.length} responses differ between Chromium and Node:\n${diffs.slice(0, 10).join('\n')}`);
});

test('every corpus case in Chromium matches the corpus', { skip }, () => {
  const diffs = [];
  for (const [i, c] of cases.entries()) {
    const res = browser.responses[i];
    const diff = res.startsWith(FAULT) ? `module fault: ${res.slice(FAULT.length)}` : match(JSON.parse(c.want), JSON.parse(res));
    const reason = exceptions.get(c.id);
    if (reason !== undefined) {
      if (!diff) diffs.push(`${c.file}:${c.line}: ${c.name} passes in Chromium; its node exception (${reason}) is stale`);
    } else if (diff) {
      diffs.push(`${c.file}:${c.line}: ${c.name} [chromium]: ${diff}`);
    }
  }
  if (diffs.length > 0) assert.fail(`${diffs.length} of ${cases.length} cases fail in Chromium:\n${diffs.slice(0, 10).join('\n')}`);
});

test('the page fetched each data artifact once, when a case first needed it', { skip }, () => {
  assert.deepEqual([...browser.dataPendingAtLoad].sort(), ['destinations', 'passwords'], 'load() read no artifact');
  assert.deepEqual(browser.dataAtEnd, [], 'the corpus needs both artifacts');
  const names = browser.loads.map(([, name]) => name).sort();
  assert.deepEqual(names, ['destinations', 'passwords'], `each artifact read once, on first need: ${JSON.stringify(browser.loads)}`);
  for (const [i, name] of browser.loads) assert.ok(i > 0, `${name} was read by case ${i}, not before the first case`);
  for (const f of ['passwords.tgd', 'destinations.tgd', 'tollgate.wasm']) {
    assert.equal(server.log.filter((e) => e.path === `/${f}`).length, 1, `/${f} served once`);
  }
  assert.ok(browser.regexAt >= 0, 'a corpus case mentions regex, so regex.wasm was fetched');
  assert.equal(server.log.filter((e) => e.path === '/regex.wasm').length, 1, '/regex.wasm served once');
});

test('the page made no request beyond its own origin, and logged no error', { skip }, () => {
  const foreign = requests.filter((u) => !u.startsWith(server.url + '/'));
  assert.deepEqual(foreign, []);
  // The browser's own request for /favicon.ico (a JSON document names no
  // icon) is the one 404 it may log.
  const missing = server.log.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.path}`);
  assert.deepEqual(missing.filter((m) => m !== '404 /favicon.ico'), []);
  const favicon404 = 'error: Failed to load resource: the server responded with a status of 404 (Not Found)';
  assert.deepEqual(pageErrors.filter((m) => !(m === favicon404 && missing.includes('404 /favicon.ico'))), []);
});
