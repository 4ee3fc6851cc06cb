// The audit in Node (audit.js over the committed module) against the Go
// CLI's: a file read twice (fileInput: the shared-PIN first pass, then the
// checks) gives `tollgate audit FILE`'s records and summary, a stream read
// once gives `tollgate audit - < FILE`'s; the tollgate-audit bin writes the
// CLI's reports; an AbortSignal stops an audit. The sample export and a
// generated 100 000-row file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './corpus.mjs';
import { need } from './env.mjs';
import { load, auditModuleURL } from '../tollgate.js';
import { audit, fileInput, recordJSON, summaryJSON } from '../audit.js';

const bin = fileURLToPath(new URL('../bin/tollgate-audit.mjs', import.meta.url));
const sample = join(root, 'testdata', 'csv', 'sample-users.csv');
const destinations = join(root, 'testdata', 'csv', 'destinations.csv');
const regionTables = join(root, 'testdata', 'tables', 'region.json');

const tg = await load({ module: auditModuleURL });
const audits = JSON.parse(tg.callText('audit.open', '{}')).error?.code !== 'unknown_op';
const haveGo = spawnSync('go', ['version']).status === 0;
const skip = need('go', haveGo, 'install Go 1.26') ||
  (!audits && 'wasm/tollgate-audit.wasm has no audit operations (audit.open answers unknown_op)');

let dir;
let cli;
let big;

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tollgate-audit-node-'));
  cli = join(dir, 'tollgate');
  execFileSync('go', ['build', '-o', cli, './cmd/tollgate'], { cwd: root, stdio: 'inherit' });
  big = join(dir, 'users-100k.csv');
  execFileSync('go', ['run', './cmd/internal/gencsv', '-n', '100000', '-o', big], { cwd: root, stdio: 'inherit' });
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

// The CLI's JSON Lines report and summary of input (a path, or '-' with
// the file on standard input).
function runCLI(input, format = 'json', stdinFile, engine = 'wasm', args = []) {
  const out = join(dir, `cli.${format}`);
  const sum = join(dir, 'cli-summary.json');
  const fd = stdinFile ? openSync(stdinFile, 'r') : 'ignore';
  try {
    const r = spawnSync(cli, ['audit', ...args, '--engine', engine, '--format', format, '-o', out, '--summary', sum, input], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
    assert.ok(r.status === 0 || r.status === 1, `tollgate audit: status ${r.status}: ${r.stderr}`);
  } finally {
    if (typeof fd === 'number') closeSync(fd);
  }
  return { report: readFileSync(out, 'utf8'), summary: JSON.parse(readFileSync(sum, 'utf8')) };
}

function comparable(s) {
  const c = structuredClone(s);
  delete c.seconds;
  if (c.pbkdf2) { delete c.pbkdf2.estimated_seconds; delete c.pbkdf2.workers; }
  return c;
}

for (const [name, path] of [['sample', () => sample], ['100 000 rows', () => big]]) {
  test(`a file read twice gives the CLI's records and summary (${name})`, { skip }, async () => {
    const input = await fileInput(path());
    const progress = [];
    const { records, summary } = await audit(input, { tollgate: tg, onProgress: (p) => progress.push(p) });
    const want = runCLI(path());
    assert.equal(records.map(recordJSON).join(''), want.report);
    assert.equal(want.report, runCLI(path(), 'json', undefined, 'native').report, 'the CLI\'s engines agree');
    assert.deepEqual(comparable(summary), comparable(want.summary));
    assert.equal(summaryJSON({ ...summary, seconds: want.summary.seconds, pbkdf2: want.summary.pbkdf2 }), JSON.stringify(want.summary, null, 2) + '\n');
    assert.equal(progress.at(-1).fraction, 1);
    assert.ok(progress.some((p) => p.pass === 'count'));
  });

  test(`a stream read once gives the CLI's records of standard input (${name})`, { skip }, async () => {
    const { records, summary } = await audit(createReadStream(path()), { tollgate: tg, name: 'stdin' });
    const want = runCLI('-', 'json', path());
    assert.equal(records.map(recordJSON).join(''), want.report);
    assert.deepEqual(comparable(summary), comparable(want.summary));
  });
}

// Text the module hands back is the file's, byte for byte: a U+FEFF that
// starts an alias or a class of service is kept (TextDecoder's default
// dropped it, so "\uFEFFadmin" printed as "admin" and two classes of
// service merged), and a class of service named __proto__ or toString is
// counted as any other.
test('an export whose aliases and classes of service start with U+FEFF or are named as Object.prototype\'s members gives the CLI\'s records and summary', { skip }, async () => {
  const odd = join(dir, 'bom-proto.csv');
  writeFileSync(odd, 'Alias,PIN,COS\n\uFEFFbob,1234,\uFEFFExec\nbob,1234,Exec\na1,2580,__proto__\na2,5678,toString\na3,135790,constructor\n\uFEFF,1111,hasOwnProperty\n');
  for (const input of [await fileInput(odd), readFileSync(odd)]) {
    const { records, summary } = await audit(input, { tollgate: tg, name: odd });
    const want = runCLI(odd);
    assert.equal(records.map(recordJSON).join(''), want.report);
    assert.deepEqual(comparable(summary), comparable(want.summary));
    assert.equal(summaryJSON({ ...summary, seconds: want.summary.seconds }), JSON.stringify(want.summary, null, 2) + '\n');
    assert.equal(summary.users_by_cos['\uFEFFExec'], 1);
    assert.equal(summary.users_by_cos.__proto__, 1);
  }
});

test('chunkSize must be a whole number of bytes, at least 1', { skip }, async () => {
  for (const chunkSize of [0, -1, 1.5, NaN, '4096']) {
    await assert.rejects(audit(readFileSync(sample), { tollgate: tg, chunkSize }), { name: 'TollgateError', code: 'bad_option', field: 'chunkSize' });
    await assert.rejects(audit(new Blob([readFileSync(sample)]), { tollgate: tg, chunkSize }), { code: 'bad_option' });
  }
});

test('the summary names a policy document as the CLI does: by its name, or the profile it extends', { skip }, async () => {
  const acme = join(root, 'testdata', 'policies', 'acme-voicemail.json');
  const { summary } = await audit(readFileSync(sample), { tollgate: tg, policy: JSON.parse(readFileSync(acme, 'utf8')), records: false });
  assert.equal(summary.policy, runCLI(sample, 'json', undefined, 'wasm', ['--policy', acme]).summary.policy);
  assert.equal(summary.policy, 'acme voicemail');
  const ext = await audit(readFileSync(sample), { tollgate: tg, policy: { extends: 'cucm' }, records: false });
  assert.equal(ext.summary.policy, 'cucm');
  const r = spawnSync(process.execPath, [bin, '--policy', acme, '--summary', join(dir, 'p.json'), '-o', join(dir, 'p.jsonl'), sample], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')).policy, 'acme voicemail');
  // A file that is not JSON (an export given by mistake) is refused
  // without quoting it.
  const users = join(dir, 'pins.csv');
  writeFileSync(users, 'Alias,PIN\nann,918273\n');
  const bad = spawnSync(process.execPath, [bin, '--policy', users, sample], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, `tollgate-audit: --policy ${users}: malformed JSON (want a JSON document)\n`);
});

// --exhaustive in JS as on the CLI. The JS host gave no note of what the
// search will cost (the CLI does), and its summary left the search out of
// a PBKDF2 PIN record's verifications (31 where the CLI counts 10 031).
// The estimates are made at the module's speed (audit.rates): the notes'
// figures are the machine's, so only their form is compared.
test('--exhaustive: the CLI\'s records, summary and notes, the search counted in a PBKDF2 record\'s verifications', { skip }, async () => {
  const policy = { pin: { min_length: 4, max_length: 4 } };
  const policyFile = join(dir, 'p4.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const sha = (pin) => '{SHA}' + createHash('sha1').update(pin).digest('base64');
  const ab64 = (b) => b.toString('base64').replace(/=+$/, '').replaceAll('+', '.');
  const salt = Buffer.from('0123456789abcdef');
  const pbkdf2 = `{PBKDF2-SHA256}1$${ab64(salt)}$${ab64(pbkdf2Sync('98765', salt, 1, 32, 'sha256'))}`;
  const file = join(dir, 'exhaustive.csv');
  writeFileSync(file, `Alias,PinHash\nann,${sha('7391')}\nbob,${sha('58213')}\ncy,${pbkdf2}\n`);
  const notes = [];
  const got = await audit(await fileInput(file), { tollgate: tg, policy, exhaustive: true, onNote: (t) => notes.push(t) });
  const out = join(dir, 'exhaustive.jsonl');
  const sum = join(dir, 'exhaustive-summary.json');
  const r = spawnSync(cli, ['audit', '--engine', 'wasm', '--exhaustive', '--policy', policyFile, '--format', 'json', '-o', out, '--summary', sum, file], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(got.records.map((x) => recordJSON(x)).join(''), readFileSync(out, 'utf8'));
  assert.match(readFileSync(out, 'utf8'), /recovered_pin/, 'the search found ann\'s PIN');
  const want = JSON.parse(readFileSync(sum, 'utf8'));
  assert.equal(got.summary.pbkdf2.verifications, want.pbkdf2.verifications);
  assert.ok(want.pbkdf2.verifications > 10000, `the CLI counts the search: ${want.pbkdf2.verifications}`);
  const cmp = (s) => { const c = comparable(s); delete c.input; return c; };
  assert.deepEqual(cmp(got.summary), cmp(want));
  const form = /^audit: --exhaustive: 3 stored PIN records × up to 1e\+04 PINs \(4 to 4 digits\) each: up to \d[0-9hms]* at \d(\.\d+)?e\+\d\d unsalted SHA-1 verifications\/s per worker on 1 workers; salted and PBKDF2 records cost more$/;
  assert.equal(notes.filter((t) => form.test(t)).length, 1, `JS notes: ${notes.join('\n')}`);
  assert.equal(r.stderr.split('\n').filter((t) => form.test(t)).length, 1, `CLI notes: ${r.stderr}`);
  // Read once, the note is per record, given at the header.
  const once = [];
  await audit(createReadStream(file), { tollgate: tg, policy, exhaustive: true, records: false, onNote: (t) => once.push(t) });
  const perRecord = /^audit: --exhaustive: up to 1e\+04 PINs \(4 to 4 digits\) per stored PIN record, about \d[0-9hms]* per record at \d(\.\d+)?e\+\d\d unsalted SHA-1 verifications\/s per worker on 1 workers; salted and PBKDF2 records cost more$/;
  assert.equal(once.filter((t) => perRecord.test(t)).length, 1, `JS notes read once: ${once.join('\n')}`);
});

// An error in a --policy or --tables file says the file, line and column,
// as the CLI's does (the bin named neither the file nor the line).
test('tollgate-audit: an error in a --policy or --tables file gives the CLI\'s file, line and column', { skip }, () => {
  const files = {
    'row.json': '{"tables": [\n  {"name": "first", "rows": [{"pattern": "9*", "blocked": true}, {"pattern": "*"}]},\n  {"name": "second", "rows": [\n    {"pattern": "9011*", "blocked": true},\n    {"pattern": "91x*", "blocked": true},\n    {"pattern": "*"}]}]}',
    'field.json': '{"tables": [{"name": "t", "rows": [\n  {"pattern": "*", "blockd": true}]}]}',
    'escaped.json': '{"tables": [{"name": "t", "rows": [{"pattern": "\\u0039x*"}, {"pattern": "*"}]}]}',
    'named.json': '{"tables": [{"name": "Zürich \\"out\\"", "rows": [\n {"pattern": "*"},\n {"pattern": "9[", "blocked": true}]}]}',
    'policy.json': '{"extends": "cucm",\n "pin": {"min_length": 99}}',
  };
  for (const [name, text] of Object.entries(files)) {
    const f = join(dir, name);
    writeFileSync(f, text);
    const flag = name === 'policy.json' ? '--policy' : '--tables';
    const go = spawnSync(cli, ['audit', '--engine', 'wasm', flag, f, sample], { encoding: 'utf8' });
    const js = spawnSync(process.execPath, [bin, flag, f, sample], { encoding: 'utf8' });
    assert.equal(go.status, 2, go.stderr);
    assert.equal(js.status, 2, js.stderr);
    assert.match(go.stderr, new RegExp(`^tollgate audit: ${flag} ${f}: line \\d+, column \\d+: `), name);
    assert.equal(js.stderr.replace(/^tollgate-audit: /, ''), go.stderr.replace(/^tollgate audit: /, ''), name);
  }
});

test('recordFilter and recordLimit pass on only the first rows with findings; the summary counts every row', { skip }, async () => {
  const got = [];
  const { records, summary } = await audit(readFileSync(sample), { tollgate: tg, name: sample, recordFilter: 'findings', recordLimit: 5, onRecords: (rs) => got.push(...rs) });
  const want = runCLI(sample).report.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.findings.length > 0).slice(0, 5);
  assert.deepEqual(records, want);
  assert.deepEqual(got, want);
  assert.equal(summary.rows, 300);
});

test('tollgate-audit writes the CLI\'s CSV and HTML reports, and --help', { skip }, () => {
  for (const format of ['csv', 'json']) {
    const out = join(dir, `bin.${format}`);
    const r = spawnSync(process.execPath, [bin, '--format', format, '-o', out, sample], { encoding: 'utf8' });
    assert.equal(r.status, 1, `findings: exit 1 (${r.stderr})`);
    assert.equal(readFileSync(out, 'utf8'), runCLI(sample, format).report);
  }
  const h = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^Usage: tollgate-audit \[flags\] FILE\.csv\|-/);
  const bad = spawnSync(process.execPath, [bin, '--format', 'pdf', sample], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown format "pdf"/);
});

test('tollgate-audit writes its files as tollgate audit does: never over an input, whole or not at all, and says what failed in one line', { skip }, () => {
  const run = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir });
  const exportFile = join(dir, 'victim.csv');
  const original = readFileSync(sample);
  writeFileSync(exportFile, original);
  symlinkSync('victim.csv', join(dir, 'victim-link.csv'));
  const leftovers = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));
  // -o or --summary naming the export (also through a link) would have
  // truncated it before it was read: refused, and the export is intact.
  for (const args of [['-o', exportFile], ['-o', join(dir, 'victim-link.csv')], ['--summary', exportFile]]) {
    const r = run(...args, exportFile);
    assert.equal(r.status, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, /^tollgate-audit: (-o|--summary): \S+ is the input file: refusing to overwrite it\n$/);
    assert.deepEqual(readFileSync(exportFile), original);
  }
  const both = run('-o', join(dir, 'same.json'), '--summary', join(dir, 'same.json'), sample);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--summary: \S+same\.json is also -o/);
  // An audit that cannot run leaves the old report as it was.
  const report = join(dir, 'kept.json');
  writeFileSync(report, 'old report\n');
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, '');
  const failed = run('-o', report, empty);
  assert.equal(failed.status, 2);
  assert.equal(failed.stderr, `tollgate-audit: ${empty}: empty file: want a header line naming the columns\n`);
  assert.equal(readFileSync(report, 'utf8'), 'old report\n');
  // A replaced report keeps its permission bits.
  chmodSync(report, 0o600);
  assert.equal(run('-o', report, sample).status, 1);
  assert.equal(readFileSync(report, 'utf8'), runCLI(sample).report);
  assert.equal(statSync(report).mode & 0o777, 0o600);
  // File errors name the file, as the Go command does, without Node's
  // codes or a stack.
  for (const [args, want] of [
    [['nosuch.csv'], 'tollgate-audit: nosuch.csv: no such file or directory\n'],
    [[dir], `tollgate-audit: ${dir}: a directory: give a regular file, a pipe, or - for standard input\n`],
    [['-o', join(dir, 'nodir', 'r.json'), sample], new RegExp(`^tollgate-audit: -o: cannot create a temporary file beside ${join(dir, 'nodir', 'r.json')} \\(the file is written there, then renamed into place\\): \\S+: no such file or directory\n$`)],
    [['-o', dir, sample], `tollgate-audit: -o: ${dir} is a directory\n`],
    [['--policy', 'nosuch', sample], 'tollgate-audit: policy: profile: "nosuch" is not a built-in profile; want one of cuc, cuc-esm, cucm, exchange-um, nist-800-63b-4\n'],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args}: ${r.stderr}`);
    if (typeof want === 'string') assert.equal(r.stderr, want, `${args}`);
    else assert.match(r.stderr, want, `${args}`);
  }
  assert.deepEqual(leftovers(), []);
  // Notes are printed as the CLI prints them, once prefixed.
  const notes = run('-o', join(dir, 'notes.json'), sample).stderr.split('\n').filter(Boolean);
  assert.ok(notes.length > 0);
  for (const n of notes) assert.match(n, /^audit: class of service "[^"]+" is not in the restriction tables/);
});

test('with tables that declare a region: the CLI\'s high_tier_destination records, summary and reports', { skip }, async () => {
  const args = ['--tables', regionTables];
  const want = runCLI(destinations, 'json', undefined, 'wasm', args);
  const wantSummaryText = readFileSync(join(dir, 'cli-summary.json'), 'utf8');
  assert.match(want.report, /"code":"high_tier_destination"/);
  const { records, summary } = await audit(await fileInput(destinations), {
    tollgate: tg, name: destinations, tables: JSON.parse(readFileSync(regionTables, 'utf8')), tablesName: regionTables,
  });
  assert.equal(records.map(recordJSON).join(''), want.report);
  assert.deepEqual(summary.high_tier_by_country, { '001': 1, CU: 1, DO: 1, JM: 1 });
  assert.deepEqual(comparable(summary), comparable(want.summary));
  assert.equal(summaryJSON({ ...summary, seconds: want.summary.seconds, pbkdf2: want.summary.pbkdf2 }), wantSummaryText);
  for (const format of ['csv', 'json']) {
    const out = join(dir, `bin-dest.${format}`);
    const r = spawnSync(process.execPath, [bin, ...args, '--format', format, '-o', out, destinations], { encoding: 'utf8' });
    assert.equal(r.status, 1, `findings: exit 1 (${r.stderr})`);
    assert.equal(readFileSync(out, 'utf8'), runCLI(destinations, format, undefined, 'wasm', args).report);
  }
  // The HTML names the run's seconds: compare it with them set aside.
  const out = join(dir, 'bin-dest.html');
  const r = spawnSync(process.execPath, [bin, ...args, '--format', 'html', '-o', out, destinations], { encoding: 'utf8' });
  assert.equal(r.status, 1, `findings: exit 1 (${r.stderr})`);
  const noSeconds = (h) => h.replace(/ engine · \d+\.\d s<\/p>/, ' engine · N s</p>');
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<tr><td>001 \(international networks\)<\/td><td>1<\/td><\/tr>/);
  assert.equal(noSeconds(html), noSeconds(runCLI(destinations, 'html', undefined, 'wasm', args).report));
});

test('an AbortSignal stops an audit between chunks', { skip }, async () => {
  const ctl = new AbortController();
  const seen = [];
  await assert.rejects(
    audit(await fileInput(big), { tollgate: tg, chunkSize: 64 << 10, onProgress: (p) => { seen.push(p); ctl.abort(); }, signal: ctl.signal }),
    { name: 'AbortError' },
  );
  assert.ok(seen.length >= 1);
  // The instance is free for the next audit.
  const { summary } = await audit(readFileSync(sample), { tollgate: tg, name: sample });
  assert.equal(summary.rows, 300);
});
