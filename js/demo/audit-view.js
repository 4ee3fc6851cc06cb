// The demo's "Audit an export" view: a CSV dropped or picked is audited in a
// Web Worker by the module (../audit.js), with a progress bar and Cancel;
// then the summary with its charts, the records with filters, and the HTML,
// CSV and JSON Lines reports as downloads made in the page when clicked
// (Blob + object URL). The file is read here and sent nowhere: the page's CSP allows no
// connection but to its own origin, and the tests record every request.
//
// Hooks the browser tests rely on: #audit-file, #audit-drop, #audit-cancel,
// #audit-progress, #audit-status, #audit-notes (li per note), #audit-tiles, #audit-charts, #audit-table
// (one tr per finding, data-line/data-code/data-cos), #audit-f-code,
// #audit-f-cos, #audit-f-q, #audit-dl-{html,csv,json}; window.__audit:
// {state: idle|running|done|error|cancelled, summary, error, rowsPerSecond,
// progress, report(format) → Promise<Blob>, the report a download gives}.

import { audit, barChart, sorted, NO_COS } from '../audit.js';

const $ = (id) => document.getElementById(id);

// The table keeps the first rows with findings (the reports hold them all),
// so a file of millions of rows does not fill the tab's memory.
const TABLE_ROWS = 20000;
const SHOW = 500;

const state = (window.__audit = { state: 'idle', summary: null, error: null, rowsPerSecond: 0, progress: [], report: (f) => report(f) });

// compact keeps a record for the table with its repeated strings (class of
// service, codes, fields, messages) shared: each record arrives from the
// worker with copies of its own, and 20 000 of them held as they come
// cost the tab about 10 MB (docs/performance.md).
let interned = new Map();
const intern = (s) => {
  if (s === undefined) return s;
  const t = interned.get(s);
  if (t !== undefined) return t;
  interned.set(s, s);
  return s;
};
function compact(r) {
  const findings = r.findings.map((f) => ({ code: intern(f.code), field: intern(f.field), message: intern(f.message) }));
  return r.cos === undefined ? { line: r.line, alias: r.alias, findings } : { line: r.line, alias: r.alias, cos: intern(r.cos), findings };
}

let ctl = null;
let kept = [];
// named are the classes of service the summary counts by name; it folds
// the others, past its first 1 000, into OTHER_COS (addRecord), and the
// filter's OTHER_COS means them.
let named = new Set();
const OTHER_COS = '(other)';
let keptAll = true;
let urls = [];

function severity(code) {
  if (['recovered_trivial', 'recovered_pin', 'shared_pin', 'fips_legacy_hash', 'blocked_number'].includes(code)) return 'sev-high';
  if (['bad_row', 'check_failed', 'invalid_value'].includes(code)) return 'sev-row';
  return 'sev-mid';
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const fmt = (n) => n.toLocaleString('en-US');

function tiles(sum) {
  const recovered = (sum.by_code.recovered_trivial ?? 0) + (sum.by_code.recovered_pin ?? 0);
  const t = [
    [sum.rows, 'rows', false], [sum.rows_with_findings, 'rows with findings', true], [sum.findings, 'findings', true],
    [sum.shared_pins, 'PINs held by several users', true], [sum.users_sharing_pins, 'users sharing a PIN', true],
    [recovered, 'PINs and passwords recovered from hashes', true], [sum.bad_rows, 'bad rows', true],
  ];
  $('audit-tiles').replaceChildren(...t.map(([n, label, warn]) => el('div', { class: warn && n > 0 ? 'tile warn' : 'tile' }, el('b', {}, fmt(n)), el('span', {}, label))));
}

// The charts are the HTML report's own SVG (barChart): text escaped there,
// no script in it, so the page's CSP holds.
function charts(sum) {
  const box = $('audit-charts');
  box.innerHTML = barChart('Findings by code', 'code', sorted(sum.by_code)) + barChart('Findings by class of service', 'cos', sorted(sum.by_cos));
  for (const a of box.querySelectorAll('a[href]')) {
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      const [key, v] = decodeURIComponent(a.getAttribute('href').slice(1)).split(/=(.*)/s);
      $(key === 'code' ? 'audit-f-code' : 'audit-f-cos').value = v;
      renderTable();
    });
  }
}

function options(select, counts) {
  select.replaceChildren(el('option', { value: '' }, 'all'), ...counts.map((c) => el('option', { value: c.key }, `${c.key} (${fmt(c.n)})`)));
}

function renderTable() {
  const code = $('audit-f-code').value;
  const cos = $('audit-f-cos').value;
  const q = $('audit-f-q').value.trim().toLowerCase();
  const rows = [];
  let matched = 0;
  for (const r of kept) {
    const rcos = r.cos || NO_COS;
    if (cos && (named.has(rcos) ? rcos : OTHER_COS) !== cos) continue;
    for (const f of r.findings) {
      if (code && f.code !== code) continue;
      if (q && !(`${r.line}`.includes(q) || r.alias.toLowerCase().includes(q) || rcos.toLowerCase().includes(q) || f.message.toLowerCase().includes(q) || f.code.includes(q))) continue;
      matched++;
      if (rows.length < SHOW) {
        rows.push(el('tr', { 'data-line': r.line, 'data-code': f.code, 'data-cos': rcos },
          el('td', { class: 'line' }, String(r.line)), el('td', {}, r.alias), el('td', {}, r.cos ?? ''),
          el('td', {}, el('code', { class: severity(f.code) }, f.code)), el('td', {}, f.field), el('td', {}, f.message)));
      }
    }
  }
  $('audit-table').tBodies[0].replaceChildren(...rows);
  let note = `${fmt(matched)} findings match`;
  if (matched > rows.length) note += `; showing the first ${fmt(rows.length)}`;
  if (!keptAll) note += ` (the table holds the first ${fmt(TABLE_ROWS)} rows with findings; the reports hold every row)`;
  $('audit-shown').textContent = note;
}

// The reports are made when their download is first clicked, by another
// audit of the file the page still holds, in a worker of its own: making
// all three while auditing cost the tab about 100 MB more at a million rows
// (docs/performance.md). Each is made once; its Blob is then the link's.
const EXT = { html: 'html', csv: 'csv', json: 'jsonl' };
let made = {};
let lastRun = null;

function resetDownloads(base) {
  for (const u of urls) URL.revokeObjectURL(u);
  urls = [];
  made = {};
  for (const f of Object.keys(EXT)) {
    const a = $(`audit-dl-${f}`);
    a.removeAttribute('href');
    a.href = '#';
    a.download = `${base}.audit.${EXT[f]}`;
    a.removeAttribute('aria-busy');
  }
}

// report(f) is the Blob of report f of the last audit, made on first use.
function report(f) {
  if (!lastRun) return Promise.reject(new Error('no audit has finished'));
  if (!EXT[f]) return Promise.reject(new Error(`no report ${f}`));
  const run = lastRun;
  made[f] ??= audit(run.file, { ...run.options, records: false, reports: [f], signal: run.reports.signal }).then((res) => {
    if (run !== lastRun) throw new Error('another file was audited meanwhile');
    const a = $(`audit-dl-${f}`);
    const u = URL.createObjectURL(res.reports[f]);
    urls.push(u);
    a.href = u;
    return res.reports[f];
  });
  made[f].catch(() => { if (run === lastRun) delete made[f]; });
  return made[f];
}

// download makes report f on its link's first click. A report still
// being made when another file is audited is stopped and dropped: the
// status is the new audit's.
async function download(ev, f) {
  const a = ev.currentTarget;
  if (a.href.startsWith('blob:')) return; // made: the browser downloads it
  ev.preventDefault();
  if (a.getAttribute('aria-busy') === 'true' || !lastRun) return;
  const run = lastRun;
  a.setAttribute('aria-busy', 'true');
  const status = $('audit-status');
  const was = status.textContent;
  status.textContent = `Making the ${a.textContent} report (another read of ${run.file.name}, in this page)…`;
  try {
    await report(f);
    if (run !== lastRun) return;
    status.textContent = was;
    a.click();
  } catch (e) {
    if (run !== lastRun) return;
    status.classList.add('error');
    status.textContent = `The ${a.textContent} report could not be made: ${errorText(e)}`;
  } finally {
    if (run === lastRun) a.removeAttribute('aria-busy');
  }
}

// errorText is an error for the page: a module error's own text, without
// the code the API puts before it.
const errorText = (e) => e?.detail || e?.message || String(e);

// showNote adds one of the audit's notes (the CLI's stderr: columns it
// ignores, an encoding it guessed, classes of service the tables lack,
// what PBKDF2 records will cost) under the progress bar.
function showNote(text) {
  const list = $('audit-notes');
  if (list.childElementCount >= MAX_NOTES) return;
  list.append(el('li', {}, list.childElementCount === MAX_NOTES - 1 ? 'more notes: see the reports' : text));
  list.hidden = false;
}
const MAX_NOTES = 50;

async function run(file) {
  if (ctl) ctl.abort();
  ctl = new AbortController();
  const mine = ctl;
  kept = [];
  keptAll = true;
  interned = new Map();
  lastRun?.reports.abort(); // its reports, if any are being made
  lastRun = null;
  $('audit-notes').replaceChildren();
  $('audit-notes').hidden = true;
  resetDownloads(file.name.replace(/\.[^.]*$/, ''));
  Object.assign(state, { state: 'running', summary: null, error: null, rowsPerSecond: 0, progress: [], name: file.name, size: file.size });
  $('audit-results').hidden = true;
  $('audit-run').hidden = false;
  $('audit-cancel').hidden = false;
  const status = $('audit-status');
  status.classList.remove('error');
  status.textContent = `Reading ${file.name}…`;
  const bar = $('audit-progress');
  bar.value = 0;
  const t0 = performance.now();
  const opts = { name: file.name, policy: $('audit-policy').value, encoding: $('audit-encoding').value, fips: $('audit-fips').checked };
  try {
    const res = await audit(file, {
      ...opts,
      records: false,
      // Only what the table shows crosses from the worker.
      recordFilter: 'findings',
      recordLimit: TABLE_ROWS + 1,
      signal: mine.signal,
      onNote: (text) => { if (mine === ctl) showNote(text); },
      onProgress: (p) => {
        state.progress.push(p);
        if (p.fraction >= 0) bar.value = p.fraction;
        const secs = (performance.now() - t0) / 1000;
        // The first pass counts digests, not rows: only the check pass has a row count.
        const pass = p.pass === 'count' ? 'counting shared PINs' : `checking: ${fmt(p.rows)} rows`;
        status.textContent = `${pass} · ${p.fraction >= 0 ? Math.floor(p.fraction * 100) + ' %' : fmt(p.bytes) + ' bytes'} · ${secs.toFixed(1)} s`;
      },
      onRecords: (rs) => {
        for (const r of rs) {
          if (r.findings.length === 0) continue;
          if (kept.length < TABLE_ROWS) kept.push(compact(r));
          else keptAll = false;
        }
      },
    });
    if (mine !== ctl) return;
    const secs = (performance.now() - t0) / 1000;
    const sum = res.summary;
    bar.value = 1;
    state.rowsPerSecond = sum.rows / secs;
    status.textContent = `Done: ${fmt(sum.rows)} rows in ${secs.toFixed(1)} s (${fmt(Math.round(state.rowsPerSecond))} rows/s), in this page.`;
    $('audit-cancel').hidden = true;
    $('audit-meta').textContent = `${sum.input} · ${sum.encoding} · policy ${sum.policy} · tables ${sum.tables} · ${sum.engine} engine in this page · nothing was uploaded`;
    tiles(sum);
    charts(sum);
    options($('audit-f-code'), sorted(sum.by_code));
    options($('audit-f-cos'), sorted(sum.by_cos));
    named = new Set(Object.keys(sum.users_by_cos));
    named.delete(OTHER_COS);
    $('audit-f-q').value = '';
    lastRun = { file, options: opts, reports: new AbortController() };
    $('audit-results').hidden = false;
    renderTable();
    Object.assign(state, { state: 'done', summary: sum, notes: res.notes, seconds: secs });
  } catch (e) {
    if (mine !== ctl) return;
    $('audit-cancel').hidden = true;
    if (e?.name === 'AbortError') {
      status.textContent = 'Cancelled.';
      state.state = 'cancelled';
      return;
    }
    status.classList.add('error');
    status.textContent = `The audit could not run: ${errorText(e)}`;
    Object.assign(state, { state: 'error', error: errorText(e) });
  }
}

export function wireAudit() {
  $('audit-file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    if (f) run(f);
    e.target.value = '';
  });
  const drop = $('audit-drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) run(f);
  });
  $('audit-cancel').addEventListener('click', () => ctl?.abort());
  for (const f of Object.keys(EXT)) $(`audit-dl-${f}`).addEventListener('click', (ev) => download(ev, f));
  for (const id of ['audit-f-code', 'audit-f-cos']) $(id).addEventListener('change', renderTable);
  $('audit-f-q').addEventListener('input', renderTable);
}
