// The audit's report writers in JS (audit-report.js) against the Go CLI's:
// the records of `tollgate audit --format json` fed to the JS writers give
// the CLI's JSON Lines, CSV and HTML reports byte for byte, and its summary
// (counts added up from the records; its JSON as encoding/json writes it).
// The odd file's aliases and classes of service hold what the writers must
// escape (quotes, tabs, a formula, U+2028, markup) and classes of service
// named __proto__, toString, constructor. The destinations file,
// with tables that declare a region, has high_tier_destination findings:
// the summary's high_tier_by_country and the HTML's table by country.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './corpus.mjs';
import { need } from './env.mjs';
import { JSONLinesReport, CSVReport, HTMLReport, newSummary, addRecord, summaryJSON, scriptHash } from '../audit-report.js';

const haveGo = spawnSync('go', ['version']).status === 0;
const skip = need('go', haveGo, 'install Go 1.26');

let dir;
let cli;
const sample = join(root, 'testdata', 'csv', 'sample-users.csv');
const destinations = join(root, 'testdata', 'csv', 'destinations.csv');
const regionTables = join(root, 'testdata', 'tables', 'region.json');

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tollgate-audit-report-'));
  cli = join(dir, 'tollgate');
  execFileSync('go', ['build', '-o', cli, './cmd/tollgate'], { cwd: root, stdio: 'inherit' });
  writeFileSync(join(dir, 'odd.csv'), [
    'Alias,PIN,COS',
    '"quo""te",1111,"Tab\there"',
    '=cmd|x,2580,+plus',
    'line\u2028sep,123456,<b>&amp;</b>',
    '"comma,alias",13579," lead space"',
    '-minus,8642,@at',
    '"x\ty\u2028z\\",111111,Staff',
    'ok,739146,',
    // Classes of service named as Object.prototype's members: counted as
    // any other, never read through the prototype.
    'p1,1234,__proto__',
    'p2,5678,toString',
    'p3,135790,constructor',
    'p4,246801,hasOwnProperty',
    '',
  ].join('\r\n'));
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function runCLI(input, format, args = []) {
  const out = join(dir, `out.${format}`);
  const sum = join(dir, 'sum.json');
  const r = spawnSync(cli, ['audit', ...args, '--format', format, '-o', out, '--summary', sum, input], { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `tollgate audit --format ${format}: status ${r.status}: ${r.stderr}`);
  return { report: readFileSync(out, 'utf8'), summaryText: readFileSync(sum, 'utf8') };
}

function write(Writer, records, summary, opts) {
  let s = '';
  const w = new Writer((t) => { s += t; }, opts);
  for (const r of records) w.record(r);
  w.end(summary);
  return s;
}

// Each case: the input file and the CLI's extra flags.
const cases = {
  sample: () => [sample, []],
  odd: () => [join(dir, 'odd.csv'), []],
  destinations: () => [destinations, ['--tables', regionTables]],
};

for (const name of Object.keys(cases)) {
  test(`the JS report writers give the CLI's reports byte for byte (${name})`, { skip }, async () => {
    const [input, args] = cases[name]();
    const json = runCLI(input, 'json', args);
    const records = json.report.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const summary = JSON.parse(json.summaryText);
    assert.ok(records.length > 3);
    assert.equal(write(JSONLinesReport, records, summary), json.report);
    assert.equal(write(CSVReport, records, summary), runCLI(input, 'csv', args).report);
    const html = runCLI(input, 'html', args);
    if (name === 'destinations') {
      // The case is there for the table by country: make sure it is.
      assert.match(html.report, /<h2 style="margin-top:16px">High-tier destinations by country<\/h2>/);
      assert.match(html.report, /<tr><td>001 \(international networks\)<\/td><td>1<\/td><\/tr>/);
      assert.match(html.report, /<code class="sev-high">high_tier_destination<\/code>/);
    }
    const script = readFileSync(new URL('../htmlreport.js', import.meta.url), 'utf8');
    // The HTML names the run's seconds: take the run's own summary.
    const htmlSummary = JSON.parse(html.summaryText);
    assert.equal(write(HTMLReport, records, htmlSummary, { script, scriptHash: await scriptHash(script) }), html.report);
  });

  test(`the summary's counts from the records and its JSON are the CLI's (${name})`, { skip }, () => {
    const [input, args] = cases[name]();
    const json = runCLI(input, 'json', args);
    const records = json.report.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const want = JSON.parse(json.summaryText);
    const got = newSummary({ input: want.input, encoding: want.encoding, engine: want.engine, policy: want.policy, tables: want.tables });
    for (const r of records) addRecord(got, r);
    for (const k of ['rows', 'rows_with_findings', 'bad_rows', 'findings', 'by_code', 'by_field', 'by_cos', 'users_by_cos', 'high_tier_by_country', 'users_sharing_pins']) {
      assert.deepEqual(got[k], want[k], k);
    }
    if (name === 'destinations') assert.deepEqual(want.high_tier_by_country, { '001': 1, CU: 1, DO: 1, JM: 1 });
    else assert.equal(want.high_tier_by_country, undefined);
    // The writer of the summary's JSON: the CLI's text from its own values.
    assert.equal(summaryJSON(want), json.summaryText);
  });
}

test('js/htmlreport.js is audit/htmlreport.js', () => {
  assert.equal(readFileSync(new URL('../htmlreport.js', import.meta.url), 'utf8'), readFileSync(join(root, 'audit', 'htmlreport.js'), 'utf8'));
});
