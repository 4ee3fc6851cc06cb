// The audit's reports, written in JS byte for byte as package audit writes
// them in Go (audit/report.go, audit/html.go): JSON Lines, CSV and the
// self-contained HTML page, and the summary (its counts from the records,
// its JSON as encoding/json indents it). A browser makes them in the page
// (Blob + object URL): nothing leaves it.
//
// Records are {line, alias, cos?, findings: [{code, field, message}]}, as
// the module emits them (docs/audit.md, "Records").

/** Finding codes the audit adds to the core's (audit/record.go). */
export const codes = Object.freeze({
  badRow: 'bad_row', sharedPIN: 'shared_pin', recoveredTrivial: 'recovered_trivial', recoveredPIN: 'recovered_pin',
  fipsLegacyHash: 'fips_legacy_hash', blockedNumber: 'blocked_number', highTierDestination: 'high_tier_destination',
  unknownScheme: 'unknown_scheme',
  malformed: 'malformed', invalidValue: 'invalid_value', checkFailed: 'check_failed', partial: 'partial',
});

/** The class-of-service label of rows without one (audit.NoCOS). */
export const NO_COS = '(none)';
const MAX_COS_KEYS = 1000;

// HIGH_TIER_HEAD starts a high_tier_destination message; the country
// follows up to the first ',' or ';' (auditcore.HighTierCountry).
const HIGH_TIER_HEAD = 'this number reaches a high-tier destination: country ';
// NON_GEOGRAPHIC is the international networks' "country" (destination.NonGeographic).
const NON_GEOGRAPHIC = '001';

/** The country a high_tier_destination message names ("DO", "001"), '' for another message. */
export function highTierCountry(msg) {
  if (!msg.startsWith(HIGH_TIER_HEAD)) return '';
  const rest = msg.slice(HIGH_TIER_HEAD.length);
  const i = rest.search(/[,;]/);
  return i >= 0 ? rest.slice(0, i) : rest;
}

const hex = '0123456789abcdef';

// goString is api.AppendString (internal/jsonx): control characters as
// \n \r \t or \u00XX, U+2028/U+2029 escaped; a lone surrogate (a JS string
// can hold one; the Go string it stands for held invalid UTF-8) as \ufffd.
function goString(v) {
  let out = '"';
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    let esc = null;
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      esc = c === 0x22 ? '\\"' : c === 0x5c ? '\\\\' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : '\\u00' + hex[c >> 4] + hex[c & 15];
    } else if (c === 0x2028 || c === 0x2029) {
      esc = '\\u202' + hex[c & 15];
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < v.length && (v.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++;
      continue;
    } else if (c >= 0xd800 && c < 0xe000) {
      esc = '\\ufffd';
    }
    if (esc !== null) {
      out += v.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + v.slice(start) + '"';
}

// jsonString is the JSON Lines report's appendJSONString: a value needing
// no ASCII escape is copied whole (as Go copies its bytes), else goString.
export function jsonString(v) {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return goString(v);
  }
  return '"' + v + '"';
}

/** One record as the JSON Lines report's line (with its "\n"). */
export function recordJSON(r) {
  let b = `{"line":${r.line},"alias":${jsonString(r.alias)}`;
  if (r.cos) b += `,"cos":${jsonString(r.cos)}`;
  b += ',"findings":[';
  r.findings.forEach((f, i) => {
    if (i > 0) b += ',';
    b += `{"code":${jsonString(f.code)},"field":${jsonString(f.field)},"message":${jsonString(f.message)}}`;
  });
  return b + ']}\n';
}

function partialMessage(rows, last) {
  if (rows === 0) return 'interrupted before the first row: the report holds no row of the input';
  return `interrupted: the report holds the first ${rows} rows of the input, to line ${last}; the rows after it were not audited`;
}

/**
 * Report writers: each takes records one at a time (record) and ends with
 * the summary (end); write is called with each piece of text, in order.
 * jsonLines is `--format json`, csv `--format csv`, html `--format html`.
 */
export class JSONLinesReport {
  constructor(write) { this.write = write; this.last = 0; }
  record(r) { this.last = r.line; this.write(recordJSON(r)); }
  end(sum) {
    if (sum.interrupted) this.write(`{"partial":true,"rows":${sum.rows},"last_line":${this.last},"message":${jsonString(partialMessage(sum.rows, this.last))}}\n`);
  }
}

// Go's unicode.IsSpace, for csv.Writer's rule on a leading space.
function isSpace(c) {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

// csvField is encoding/csv's Writer (comma ',', LF line ends) for one field.
function csvField(f) {
  if (f === '') return '';
  if (!(f === '\\.' || /[",\r\n]/.test(f) || isSpace(f.codePointAt(0)))) return f;
  return '"' + f.replaceAll('"', '""') + '"';
}

function csvLine(fields) { return fields.map(csvField).join(',') + '\n'; }

// csvSafe defuses a value a spreadsheet would run as a formula.
function csvSafe(v) { return v !== '' && '=+-@\t\r'.includes(v[0]) ? "'" + v : v; }

const csvHeader = ['line', 'alias', 'cos', 'code', 'field', 'message'];

export class CSVReport {
  constructor(write) { this.write = write; this.header = false; this.last = 0; }
  record(r) {
    this.last = r.line;
    if (!this.header) { this.header = true; this.write(csvLine(csvHeader)); }
    const head = [String(r.line), csvSafe(r.alias), csvSafe(r.cos ?? '')];
    if (r.findings.length === 0) { this.write(csvLine([...head, '', '', ''])); return; }
    let s = '';
    for (const f of r.findings) s += csvLine([...head, f.code, f.field, f.message]);
    this.write(s);
  }
  end(sum) {
    if (!this.header) this.write(csvLine(csvHeader));
    if (sum.interrupted) this.write(csvLine(['', '', '', codes.partial, '', partialMessage(sum.rows, this.last)]));
  }
}

/** Entries of a count map, largest first, then by key (audit.Sorted). */
export function sorted(m) {
  return Object.entries(m).map(([key, n]) => ({ key, n })).sort((a, b) => b.n - a.n || compareUTF8(a.key, b.key));
}

// compareUTF8 orders strings as Go compares them: by UTF-8 bytes, which is
// code point order (JS's < compares UTF-16 units, which differs above U+FFFF).
function compareUTF8(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * newSummary returns the summary counts audit.Summary has, empty; add
 * counts a record into it (audit's Summary.add).
 */
export function newSummary({ input = '', encoding = 'utf-8', engine = 'wasm', policy = '', tables = '' } = {}) {
  return {
    input, encoding, engine, policy, tables,
    rows: 0, rows_with_findings: 0, bad_rows: 0, findings: 0,
    by_code: {}, by_field: {}, by_cos: {}, users_by_cos: {},
    distinct_pins: 0, shared_pins: 0, shared_pin_records: 0, users_sharing_pins: 0,
    interrupted: false, seconds: 0,
  };
}

// inc counts one more under k. The keys are the file's text, so a class
// of service called __proto__ or toString is an own property like any
// other, never the one Object.prototype has.
function inc(m, k) {
  if (Object.hasOwn(m, k)) m[k] += 1;
  else Object.defineProperty(m, k, { value: 1, writable: true, enumerable: true, configurable: true });
}

export function addRecord(s, r) {
  s.rows++;
  let cos = r.cos || NO_COS;
  if (!Object.hasOwn(s.users_by_cos, cos) && Object.keys(s.users_by_cos).length >= MAX_COS_KEYS) cos = '(other)';
  inc(s.users_by_cos, cos);
  if (r.findings.length === 0) return;
  s.rows_with_findings++;
  let sharing = false;
  for (const f of r.findings) {
    s.findings++;
    inc(s.by_code, f.code);
    if (f.field !== '') inc(s.by_field, f.field);
    inc(s.by_cos, cos);
    if (f.code === codes.badRow) s.bad_rows++;
    else if (f.code === codes.sharedPIN) sharing = true;
    else if (f.code === codes.highTierDestination) {
      s.high_tier_by_country ??= {};
      inc(s.high_tier_by_country, highTierCountry(f.message));
    }
  }
  if (sharing) s.users_sharing_pins++;
}

// The summary's members in audit.Summary's order; omit: omitempty.
const summaryFields = [
  ['input'], ['encoding'], ['engine'], ['policy'], ['tables'],
  ['rows'], ['rows_with_findings'], ['bad_rows'], ['findings'],
  ['by_code'], ['by_field'], ['by_cos'], ['users_by_cos'], ['high_tier_by_country', 'omit'],
  ['distinct_pins'], ['shared_pins'], ['shared_pin_records'], ['users_sharing_pins'],
  ['ignored_columns', 'omit'], ['unknown_columns', 'omit'], ['skipped_checks', 'omit'],
  ['pbkdf2', 'omit'], ['interrupted'], ['seconds'],
];
const pbkdf2Fields = ['records', 'min_iterations', 'max_iterations', 'verifications', 'estimated_seconds', 'workers'];

// encString is encoding/json's string: HTML-safe (<, >, & escaped), \b and
// \f short, U+2028/U+2029 escaped, a lone surrogate as \ufffd.
function encString(v) {
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) out += '\\u00' + hex[c >> 4] + hex[c & 15];
    else if (c === 0x2028 || c === 0x2029) out += '\\u202' + hex[c & 15];
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < v.length && (v.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { out += v[i] + v[i + 1]; i++; } else if (c >= 0xd800 && c < 0xe000) out += '\\ufffd';
    else out += v[i];
  }
  return out + '"';
}

function encValue(v, indent) {
  const pad = '  '.repeat(indent + 1);
  if (typeof v === 'string') return encString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => pad + encValue(x, indent + 1)).join(',\n') + '\n' + '  '.repeat(indent) + ']';
  }
  const keys = Object.keys(v).sort(compareUTF8);
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => pad + encString(k) + ': ' + encValue(v[k], indent + 1)).join(',\n') + '\n' + '  '.repeat(indent) + '}';
}

/** The summary as `tollgate audit --summary` writes it (json.MarshalIndent, then "\n"). */
export function summaryJSON(s) {
  const lines = [];
  for (const [k, omit] of summaryFields) {
    let v = s[k];
    // omitempty: a nil or empty slice or map; a non-nil pointer (pbkdf2) stays.
    if (omit && (v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : k !== 'pbkdf2' && Object.keys(v).length === 0))) continue;
    if (k === 'pbkdf2') {
      lines.push(`  "pbkdf2": {\n` + pbkdf2Fields.map((f) => `    "${f}": ${v[f] ?? 0}`).join(',\n') + '\n  }');
      continue;
    }
    if (v === undefined) v = typeof newSummary()[k] === 'number' ? 0 : '';
    lines.push(`  ${encString(k)}: ${encValue(v, 1)}`);
  }
  return '{\n' + lines.join(',\n') + '\n}\n';
}

// --- PBKDF2 records (audit/pbkdf2.go) ---

export function group(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }

// approx is Go's time.Duration String of secs rounded as audit/pbkdf2.go
// rounds it: "90ms", "4.2s", "40m0s".
export function approx(secs) {
  const ns = secs * 1e9;
  const step = ns < 1e9 ? 1e6 : ns < 60e9 ? 1e8 : 1e9;
  return goDuration(Math.round(ns / step) * step);
}

/** secs as Go's time.Duration rounded to the second ("0s", "9s", "6m4s"). */
export function wholeSeconds(secs) {
  return goDuration(Math.round(secs) * 1e9);
}

/** x as Go's %.3g writes it: "123", "0.5", "6.2e+06", "1e-05". */
export function goG3(x) {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const [mant, e] = x.toExponential(2).split('e');
  const exp = Number(e);
  const trim = (t) => (t.includes('.') ? t.replace(/\.?0+$/, '') : t);
  if (exp < -4 || exp >= 3) return `${trim(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(2 - exp));
}

// goDuration is time.Duration's String for a whole number of milliseconds.
function goDuration(ns) {
  if (ns === 0) return '0s';
  if (ns < 1e9) return `${Math.round(ns / 1e6)}ms`;
  let ms = Math.round(ns / 1e6);
  const h = Math.floor(ms / 3600e3);
  ms -= h * 3600e3;
  const m = Math.floor(ms / 60e3);
  ms -= m * 60e3;
  const sec = (ms / 1000).toFixed(3).replace(/\.?0+$/, '');
  return (h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m` : '') + `${sec}s`;
}

/** "23,000 PBKDF2 records at 600,000 iterations" (PBKDF2Cost.what). */
export function pbkdf2What(p) {
  let s = `${group(p.records)} PBKDF2 record${p.records !== 1 ? 's' : ''}`;
  if (p.min_iterations === p.max_iterations) return `${s} at ${group(p.max_iterations)} iterations`;
  return `${s} at ${group(p.min_iterations)} to ${group(p.max_iterations)} iterations`;
}

// noteworthy: the HTML summary mentions the records when their cost was
// worth the warning or, read once, there was no estimate.
function pbkdf2Noteworthy(p) {
  return !!p && (p.estimated_seconds >= 5 || p.verifications === 0);
}

function pbkdf2Text(p) {
  let s = pbkdf2What(p);
  if (p.estimated_seconds > 0) s += `: estimated to cost up to ${approx(p.estimated_seconds)} on ${p.workers} workers`;
  return s;
}

// --- HTML (audit/html.go) ---

const htmlEsc = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;' };
function e(v) { return String(v).replace(/[<>&'"]/g, (c) => htmlEsc[c]); }

function severity(code) {
  switch (code) {
    case codes.recoveredTrivial: case codes.recoveredPIN: case codes.sharedPIN: case codes.fipsLegacyHash: case codes.blockedNumber:
    case codes.highTierDestination:
      return 'sev-high';
    case codes.badRow: case codes.checkFailed: case codes.invalidValue:
      return 'sev-row';
  }
  return 'sev-mid';
}

function filterLink(key, v) {
  let b = '#' + key + '=';
  for (const byte of new TextEncoder().encode(v)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) b += c;
    else b += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return e(b);
}

const htmlPager = '<span class="f-pager"><button type="button" class="f-prev">&#8249; previous</button><span class="f-page"></span><button type="button" class="f-next">next &#8250;</button></span>';
const HTML_MAX_ROWS = 10000;

/** The HTML report's head up to the CSP's script hash, and after it (audit/html.go's htmlHead). */
const htmlHeadA = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src `;
const htmlHeadB = `; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tollgate audit</title>
<style>
:root{--ink:#1d2330;--muted:#5b6474;--line:#dde1e8;--bg:#f6f7f9;--red:#c0392b;--amber:#d68910;--blue:#2e6da4;--grey:#7f8c8d}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{display:flex;flex-direction:column;gap:18px;max-width:1200px;margin:0 auto;padding:24px}
.summary{order:-1}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px}
.meta{color:var(--muted);margin:0 0 14px}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}
.tile{flex:1 1 120px;border:1px solid var(--line);border-radius:6px;padding:10px 14px}
.tile b{display:block;font-size:26px}.tile span{color:var(--muted)}
.tile.warn b{color:var(--red)}
.charts{display:flex;flex-wrap:wrap;gap:24px}.chart{flex:1 1 460px}
.chart svg{width:100%;height:auto}
.chart text{font-size:12px;fill:var(--ink)}.chart .n{fill:var(--muted)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}
td.line{text-align:right;color:var(--muted);font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,Menlo,Consolas,monospace;padding:1px 5px;border-radius:4px;background:#eef1f5;white-space:nowrap}
code.sev-high{background:#fbe3e0;color:var(--red)}code.sev-mid{background:#fdf0dc;color:#9a5b00}code.sev-row{background:#ececec;color:#555}
.note{color:var(--muted)}.interrupted{color:var(--red);font-weight:600}
.scroll{max-height:75vh;overflow:auto;border:1px solid var(--line);border-radius:6px}
.js .scroll{max-height:none;overflow:visible;border:0}
.tools{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:0 0 12px}
.tools label{display:flex;gap:6px;align-items:center;color:var(--muted)}
.tools select,.tools input,.tools button,tr.group button,td.more button{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px;background:#fff;color:var(--ink)}
.tools button:disabled{color:#aaa}.tools select{max-width:15em}
.f-info{font-weight:600}.f-pager{display:flex;gap:6px;align-items:center;margin-left:auto}
.tools.bottom{margin:12px 0 0}
tr.group th{background:#fff;border-top:2px solid var(--line);font-weight:400}
tr.group button.toggle{border:0;padding:2px 4px;font-weight:600;cursor:pointer}
tr.group .count{color:var(--muted);margin-left:8px}
.chart a{cursor:pointer}.chart a:hover rect{opacity:.8}
a.key{color:inherit;text-decoration:none}a.key:hover code{outline:1px solid var(--blue)}
@media print{.scroll{max-height:none;overflow:visible}.tools{display:none}}
</style></head>
<body><main>
`;

/**
 * HTMLReport is `--format html`: script is the text of the page's one
 * script (audit/htmlreport.js, htmlreport.js beside this file) and
 * scriptHash its CSP source ('sha256-…'), which the caller computes
 * (WebCrypto is asynchronous).
 */
export class HTMLReport {
  constructor(write, { script = '', scriptHash = "'none'" } = {}) {
    this.write = write;
    this.script = script;
    this.scriptHash = scriptHash;
    this.started = false;
    this.shown = 0;
    this.hidden = 0;
    this.clean = 0;
  }

  _start() {
    if (this.started) return;
    this.started = true;
    this.write(htmlHeadA + this.scriptHash + htmlHeadB);
    this.write(`<section class="rows" id="rows"><h2>Findings</h2>
<div class="tools" id="tools" hidden>
<label>Code <select id="f-code"><option value="">all</option></select></label>
<label>Class of service <select id="f-cos"><option value="">all</option></select></label>
<label>Field <select id="f-field"><option value="">all</option></select></label>
<label>Search <input id="f-q" type="search" placeholder="alias, line, message" size="18"></label>
<label>Group by <select id="f-group"><option value="">nothing</option><option value="code">code</option><option value="cos">class of service</option><option value="field">field</option></select></label>
<button type="button" id="f-clear">Clear</button>
<span class="f-info"></span>
${htmlPager}
</div>
<div class="scroll"><table id="findings"><thead><tr><th>Line</th><th>Alias</th><th>Class of service</th><th>Code</th><th>Field</th><th>Message</th></tr></thead><tbody>
`);
  }

  record(r) {
    this._start();
    if (r.findings.length === 0) { this.clean++; return; }
    if (this.shown >= HTML_MAX_ROWS) { this.hidden++; return; }
    this.shown++;
    const alias = e(r.alias);
    const cos = e(r.cos ?? '');
    const key = r.cos ? cos : NO_COS;
    let s = '';
    for (const f of r.findings) {
      const code = e(f.code);
      const field = e(f.field);
      s += `<tr data-line="${r.line}" data-code="${code}" data-field="${field}" data-cos="${key}"><td class="line">${r.line}</td><td>${alias}</td><td>${cos}</td><td><code class="${severity(f.code)}">${code}</code></td><td>${field}</td><td>${e(f.message)}</td></tr>\n`;
    }
    this.write(s);
  }

  end(sum) {
    this._start();
    let s = '</tbody></table></div>\n<div class="tools bottom" id="tools-bottom" hidden><span class="f-info"></span>' + htmlPager + '</div>\n';
    if (this.shown === 0) s += '<p class="note">No row has a finding.</p>\n';
    s += `<p class="note">${this.clean} rows without findings are not listed.`;
    if (this.hidden > 0) s += ` ${this.hidden} more rows with findings are not listed either (the report lists the first ${HTML_MAX_ROWS}); the JSON and CSV formats list every row.`;
    s += '</p></section>\n';
    s += '<section class="summary">\n<h1>tollgate audit</h1>\n';
    s += `<p class="meta">${e(sum.input)} · ${e(sum.encoding)} · policy <b>${e(sum.policy)}</b> · tables <b>${e(sum.tables)}</b> · ${e(sum.engine)} engine · ${sum.seconds.toFixed(1)} s</p>\n`;
    if (sum.interrupted) s += '<p class="interrupted">Interrupted: this is a partial report of the rows before the interruption.</p>\n';
    s += '<div class="tiles">';
    const tile = (n, label, warn) => { s += `<div class="${warn && n > 0 ? 'tile warn' : 'tile'}"><b>${n}</b><span>${label}</span></div>`; };
    tile(sum.rows, 'rows', false);
    tile(sum.rows_with_findings, 'rows with findings', true);
    tile(sum.findings, 'findings', true);
    tile(sum.shared_pins, 'PINs held by several users', true);
    if (sum.shared_pin_records > 0) tile(sum.shared_pin_records, 'stored PIN records held by several users', true);
    tile(sum.users_sharing_pins, 'users sharing a PIN', true);
    tile((sum.by_code[codes.recoveredTrivial] ?? 0) + (sum.by_code[codes.recoveredPIN] ?? 0), 'PINs and passwords recovered from hashes', true);
    tile(sum.bad_rows, 'bad rows', true);
    s += '</div>\n<div class="charts">\n';
    s += barChart('Findings by code', 'code', sorted(sum.by_code));
    s += barChart('Findings by class of service', 'cos', sorted(sum.by_cos));
    s += '</div>\n';
    const byField = sorted(sum.by_field);
    if (byField.length > 0) {
      s += '<h2 style="margin-top:16px">Findings by field</h2><p>';
      s += byField.map((c) => `<a class="key" href="${filterLink('field', c.key)}"><code>${e(c.key)}</code></a> ${c.n}`).join(' · ');
      s += '</p>\n';
    }
    const byCountry = sorted(sum.high_tier_by_country ?? {});
    if (byCountry.length > 0) {
      // The numbers that reach a high tier, by the country they reach.
      s += '<h2 style="margin-top:16px">High-tier destinations by country</h2>\n<table class="by-country"><thead><tr><th>Country</th><th>Numbers</th></tr></thead><tbody>\n';
      for (const c of byCountry) s += `<tr><td>${e(c.key === NON_GEOGRAPHIC ? c.key + ' (international networks)' : c.key)}</td><td>${c.n}</td></tr>\n`;
      s += `</tbody></table>\n<p><a class="key" href="${filterLink('code', codes.highTierDestination)}">Show these findings</a></p>\n`;
    }
    if (pbkdf2Noteworthy(sum.pbkdf2)) s += `<p class="note">${e(pbkdf2Text(sum.pbkdf2))}.</p>\n`;
    if (sum.skipped_checks?.length > 0) s += `<p class="note">Checks skipped (the engine lacks the operation): ${e(sum.skipped_checks.join(', '))}</p>\n`;
    s += '</section>\n</main>\n<script>' + this.script + '</script>\n</body></html>\n';
    this.write(s);
  }
}

/**
 * barChart is the HTML report's horizontal bar chart as inline SVG
 * (audit/html.go's chart): at most 14 bars, the rest as "(others)"; each
 * bar but that one links to the findings it counts. The demo page draws
 * its charts with it too.
 */
export function barChart(title, key, counts) {
  const maxBars = 14; const barH = 20; const gap = 6; const labelW = 190; const width = 560;
  const others = counts.length > maxBars;
  if (others) {
    const rest = counts.slice(maxBars - 1).reduce((a, c) => a + c.n, 0);
    counts = [...counts.slice(0, maxBars - 1), { key: '(others)', n: rest }];
  }
  let s = `<div class="chart"><h2>${e(title)}</h2>\n`;
  if (counts.length === 0) return s + '<p class="note">Nothing found.</p></div>\n';
  const top = counts[0].n;
  const h = counts.length * (barH + gap) + gap;
  s += `<svg viewBox="0 0 ${width} ${h}" role="img" aria-label="${e(title)}">`;
  counts.forEach((c, i) => {
    const y = gap + i * (barH + gap);
    const w = 1 + Math.trunc(((width - labelW - 60) * c.n) / Math.max(top, 1));
    let colour = '#2e6da4';
    if (key === 'code') colour = { 'sev-high': '#c0392b', 'sev-row': '#95a5a6' }[severity(c.key)] ?? '#d68910';
    let label = c.key;
    const runes = [...label];
    if (runes.length > 26) label = runes.slice(0, 25).join('') + '…';
    const link = !others || i < counts.length - 1;
    if (link) s += `<a href="${filterLink(key, c.key)}"><title>${e(c.key)}: ${c.n}</title>`;
    s += `<text x="${labelW - 8}" y="${y + barH - 6}" text-anchor="end">${e(label)}</text><rect x="${labelW}" y="${y}" width="${w}" height="${barH}" rx="3" fill="${colour}"/><text class="n" x="${labelW + w + 6}" y="${y + barH - 6}">${c.n}</text>`;
    if (link) s += '</a>';
  });
  return s + '</svg></div>\n';
}

/** The CSP source of a script text ('sha256-…'), as audit/html.go computes it. */
export async function scriptHash(script) {
  const d = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)));
  let bin = '';
  for (const b of d) bin += String.fromCharCode(b);
  return `'sha256-${btoa(bin)}'`;
}
