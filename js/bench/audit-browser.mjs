// The audit of a large export in headless Chromium, measured: rows/s and
// the tab's memory (the renderer process's peak resident set, VmHWM, which
// holds the page, its audit worker and the worker's module instance; and
// the page's JS heap from CDP's Performance.getMetrics, sampled). A
// measurement, not a test: docs/performance.md has its figures.
//
//   go run ./cmd/internal/gencsv -n 1000000 -o /tmp/users-1m.csv
//   flock /work/helpers/heavy.lock node js/bench/audit-browser.mjs /tmp/users-1m.csv

import { readFileSync, readdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../demo/serve.mjs';
import { chromiumPath, chromiumArgs } from '../test/chromium.mjs';

// Without --reports it drops the file on the audit view, then makes its
// three reports as download clicks would (measured apart: the view makes a
// report only when asked). --reports=json,csv,html (or none) runs audit()
// in the page directly with those reports instead; --audit-only makes no
// report. BENCH_JS_FLAGS passes V8 flags (a diagnosis, not a user's tab:
// BENCH_JS_FLAGS=--no-wasm-tier-up shows what TurboFan's tier-up costs).
// BENCH_TIMELINE=1 prints the memory every 250 ms; BENCH_DUMP=SECONDS
// writes Chromium's memory-infra dump (the renderer's allocators: V8's
// heaps, Oilpan's, PartitionAlloc's, malloc) at that moment into
// BENCH_DUMP_OUT (default /tmp/dump.json), as chrome://tracing would.
const file = process.argv[2];
const direct = process.argv.find((a) => a.startsWith('--reports='))?.slice('--reports='.length);
if (!file) {
  console.error('usage: node js/bench/audit-browser.mjs FILE.csv [--reports=json,csv,html|none]');
  process.exit(2);
}

function procs() {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = +stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      // Chromium rewrites its children's titles: one string with spaces.
      out.push({ pid: +d, ppid, cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').split(/[\0 ]/) });
    } catch { /* gone */ }
  }
  return out;
}

// The renderer processes under the Chromium whose profile is dir.
function renderers(dir) {
  const all = procs();
  const root = all.find((p) => p.cmd.some((a) => a === `--user-data-dir=${dir}`) && !p.cmd.some((a) => a.startsWith('--type=')));
  if (!root) return [];
  const under = new Set([root.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) if (!under.has(p.pid) && under.has(p.ppid)) { under.add(p.pid); grew = true; }
  }
  return all.filter((p) => under.has(p.pid) && p.cmd.includes('--type=renderer')).map((p) => p.pid);
}

function status(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? +m[1] * 1024 : 0;
  } catch {
    return 0;
  }
}

const { chromium } = await import('playwright-core');
const profile = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
const server = await startServer({ port: 0 });
const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: process.env.BENCH_JS_FLAGS ? [...chromiumArgs, `--js-flags=${process.env.BENCH_JS_FLAGS}`] : chromiumArgs, viewport: { width: 1280, height: 900 } });
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30 * 60 * 1000);
  await server.warm;
  await page.goto(`${server.url}/demo/#audit`);
  await page.waitForFunction(() => window.__audit);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const pids = renderers(profile);
  const base = Math.max(...pids.map((p) => status(p, 'VmRSS')));
  const baseAnon = Math.max(...pids.map((p) => status(p, 'RssAnon')));
  let heapMax = 0;
  let rssMax = 0;
  let anonMax = 0;
  const sample = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    heapMax = Math.max(heapMax, metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
    rssMax = Math.max(rssMax, ...renderers(profile).map((p) => status(p, 'VmRSS')));
    const anon = Math.max(...renderers(profile).map((p) => status(p, 'RssAnon')));
    anonMax = Math.max(anonMax, anon);
    if (process.env.BENCH_TIMELINE) {
      const p = await page.evaluate(() => { const p = window.__audit.progress?.at(-1); return p && window.__audit.state === 'running' ? `${p.pass} ${p.fraction.toFixed(2)}` : window.__audit.state; }).catch(() => '?');
      console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s  anon ${(anon / 2 ** 20).toFixed(1)} MB  heap ${(metrics.find((m) => m.name === 'JSHeapUsedSize')?.value / 2 ** 20).toFixed(1)} MB  ${p}`);
    }
  };
  const t0 = Date.now();
  const timer = setInterval(() => { sample().catch(() => {}); }, 250);
  let dumped = Promise.resolve();
  if (process.env.BENCH_DUMP) {
    const bcdp = await context.browser().newBrowserCDPSession();
    dumped = new Promise((resolve) => setTimeout(resolve, +process.env.BENCH_DUMP * 1000)).then(async () => {
      try {
        const chunks = [];
        bcdp.on('Tracing.dataCollected', ({ value }) => chunks.push(...value));
        const done = new Promise((r) => bcdp.once('Tracing.tracingComplete', r));
        await bcdp.send('Tracing.start', { traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], memoryDumpConfig: { triggers: [] } } });
        const at = ((Date.now() - t0) / 1000).toFixed(1);
        const d = await bcdp.send('Tracing.requestMemoryDump', { levelOfDetail: 'detailed' });
        await bcdp.send('Tracing.end');
        await done;
        const { writeFileSync } = await import('node:fs');
        writeFileSync(process.env.BENCH_DUMP_OUT ?? '/tmp/dump.json', JSON.stringify({ at, ok: d.success, events: chunks }));
        console.error(`dump at ${at} s: ${d.success}, ${chunks.length} events`);
      } catch (e) { console.error('dump', e); }
    });
  }
  if (direct === undefined) {
    await page.setInputFiles('#audit-file', file);
  } else {
    await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.id = 'bench-file'; document.body.append(i); });
    await page.setInputFiles('#bench-file', file);
    await page.evaluate(async (reports) => {
      const { audit } = await import('/audit.js');
      const f = document.getElementById('bench-file').files[0];
      const t0 = performance.now();
      window.__audit.state = 'running';
      const r = await audit(f, { records: false, reports, recordFilter: 'findings', recordLimit: 20001, onRecords: () => {} });
      const secs = (performance.now() - t0) / 1000;
      Object.assign(window.__audit, { state: 'done', summary: r.summary, seconds: secs, rowsPerSecond: r.summary.rows / secs });
    }, direct === 'none' ? [] : direct.split(','));
  }
  // Polled on a timer, not on animation frames (the default), which a
  // headless tab that draws nothing need not produce: two runs of about
  // thirty never returned.
  await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.__audit.state), null, { polling: 250 });
  const wall = (Date.now() - t0) / 1000;
  await sample();
  const r = await page.evaluate(() => ({ state: window.__audit.state, error: window.__audit.error, rows: window.__audit.summary?.rows, seconds: window.__audit.seconds, rowsPerSecond: window.__audit.rowsPerSecond }));
  const hwm = Math.max(...renderers(profile).map((p) => status(p, 'VmHWM')));
  // The audit view makes a report when its download is clicked: make the
  // three, one after the other, as clicks would, and measure that apart.
  const atAudit = { rssMax, anonMax, heapMax };
  let made;
  if (direct === undefined && r.state === 'done' && !process.argv.includes('--audit-only')) {
    rssMax = 0; anonMax = 0; heapMax = 0;
    made = await page.evaluate(async () => {
      const out = {};
      for (const f of ['html', 'csv', 'json']) {
        const t0 = performance.now();
        const b = await window.__audit.report(f);
        out[f] = { mb: +(b.size / 2 ** 20).toFixed(1), seconds: +((performance.now() - t0) / 1000).toFixed(1) };
      }
      return out;
    });
    await sample();
  }
  await dumped;
  clearInterval(timer);
  const mb = (b) => +(b / 2 ** 20).toFixed(1);
  console.log(JSON.stringify({
    chromium: (await context.browser()?.version()) ?? 'persistent context',
    file, bytes: statSync(file).size, ...r, wall_seconds: +wall.toFixed(2),
    reports: direct ?? 'html,csv,json (the audit view)',
    renderer_rss_before_mb: mb(base), renderer_rss_max_mb: mb(atAudit.rssMax), renderer_vmhwm_mb: mb(hwm),
    renderer_anon_before_mb: mb(baseAnon), renderer_anon_max_mb: mb(atAudit.anonMax), page_js_heap_max_mb: mb(atAudit.heapMax),
    ...(made && {
      reports_made: made, reports_renderer_anon_max_mb: mb(anonMax), reports_renderer_rss_max_mb: mb(rssMax),
      reports_renderer_vmhwm_mb: mb(Math.max(...renderers(profile).map((p) => status(p, 'VmHWM')))), reports_page_js_heap_max_mb: mb(heapMax),
    }),
  }, null, 2));
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
