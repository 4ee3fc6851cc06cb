// The audit's report writers in JS (audit-report.js) against the Go CLI's:
// the records of `tollgate audit --format json` fed to the JS writers give
// the CLI's JSON Lines, CSV and HTML reports byte for byte, and its summary
// (counts added up from the records; its JSON as encoding/json writes it).
// The odd file's aliases and classes of service hold what the writers must
// escape (quotes, tabs, a formula, U+2028, markup).

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
    '',
  ].join('\r\n'));
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function runCLI(input, format) {
  const out = join(dir, `out.${format}`);
  const sum = join(dir, 'sum.json');
  const r = spawnSync(cli, ['audit', '--format', format, '-o', out, '--summary', sum, input], { encoding: 'utf8' });
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

for (const name of ['sample', 'odd']) {
  test(`the JS report writers give the CLI's reports byte for byte (${name})`, { skip }, async () => {
    const input = name === 'sample' ? sample : join(dir, 'odd.csv');
    const json = runCLI(input, 'json');
    const records = json.report.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const summary = JSON.parse(json.summaryText);
    assert.ok(records.length > 3);
    assert.equal(write(JSONLinesReport, records, summary), json.report);
    assert.equal(write(CSVReport, records, summary), runCLI(input, 'csv').report);
    const html = runCLI(input, 'html');
    const script = readFileSync(new URL('../htmlreport.js', import.meta.url), 'utf8');
    // The HTML names the run's seconds: take the run's own summary.
    const htmlSummary = JSON.parse(html.summaryText);
    assert.equal(write(HTMLReport, records, htmlSummary, { script, scriptHash: await scriptHash(script) }), html.report);
  });

  test(`the summary's counts from the records and its JSON are the CLI's (${name})`, { skip }, () => {
    const input = name === 'sample' ? sample : join(dir, 'odd.csv');
    const json = runCLI(input, 'json');
    const records = json.report.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const want = JSON.parse(json.summaryText);
    const got = newSummary({ input: want.input, encoding: want.encoding, engine: want.engine, policy: want.policy, tables: want.tables });
    for (const r of records) addRecord(got, r);
    for (const k of ['rows', 'rows_with_findings', 'bad_rows', 'findings', 'by_code', 'by_field', 'by_cos', 'users_by_cos', 'users_sharing_pins']) {
      assert.deepEqual(got[k], want[k], k);
    }
    // The writer of the summary's JSON: the CLI's text from its own values.
    assert.equal(summaryJSON(want), json.summaryText);
  });
}

test('js/htmlreport.js is audit/htmlreport.js', () => {
  assert.equal(readFileSync(new URL('../htmlreport.js', import.meta.url), 'utf8'), readFileSync(join(root, 'audit', 'htmlreport.js'), 'utf8'));
});
