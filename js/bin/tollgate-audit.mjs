#!/usr/bin/env node
// tollgate-audit: `tollgate audit` from npm (npx @tollgate/tollgate ...):
// the same audit, in the same module, over a file stream, with the same
// reports. Nothing is sent anywhere.

import { parseArgs } from 'node:util';
import { audit, fileInput, JSONLinesReport, CSVReport, HTMLReport, summaryJSON } from '../audit.js';
import { scriptHash } from '../audit-report.js';
import { readFile, stat } from 'node:fs/promises';
import { createOut, describe, fdStat } from './outfile.mjs';
import { docError } from './docpos.mjs';

const usage = `Usage: tollgate-audit [flags] FILE.csv|-

Audits a user export (CUC/CUCM BAT, Exchange CSV) as \`tollgate audit\` does,
in the same WebAssembly module: one record per data row, in input order (its
line, alias and findings). Never prints a PIN, password or hash, and sends
nothing anywhere.

Flags:
  --policy NAME|FILE   a profile (cuc, cuc-esm, cucm, exchange-um, nist-800-63b-4) or a JSON policy file (default cuc)
  --tables NAME|FILE   restriction tables: a built-in set or a JSON tables file (default default)
  --format FORMAT      json (JSON Lines), csv or html (default json)
  -o FILE              write the report to FILE instead of standard output
  --summary FILE       also write the summary as JSON to FILE
  --encoding ENC       auto, utf-8, utf-16, utf-16le, utf-16be, windows-1252, latin-1 (default auto)
  --fips               the system runs in FIPS mode
  --exhaustive         try every PIN of the policy's lengths against stored PIN hashes
  -h, --help           this text

Exit status: 0 nothing found, 1 findings, 2 the audit could not run.
`;

// parseDoc reads a policy or tables document. A syntax error says where,
// never what: V8's message quotes the text, which may be an export given
// by mistake (its PINs).
function parseDoc(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec(e.message);
    let where = '';
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    throw new Error(`${what}: malformed JSON${where} (want a JSON document)`);
  }
}

// docOrName is a --policy or --tables value: an inline document, a file's
// (whose text docs keeps, for the position of an error in it), or a name.
async function docOrName(v, flag, docs) {
  if (v.trim().startsWith('{')) return parseDoc(v, flag);
  let text;
  try {
    text = await readFile(v, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return v; // a built-in name
    if (e.code === 'EISDIR') throw new Error(`${flag} ${v}: a directory, not a regular file`);
    throw new Error(`${flag}: ${describe(e)}`);
  }
  const doc = parseDoc(text, `${flag} ${v}`);
  docs.push({ flag, name: v, text });
  return doc;
}

// statOf is a file the command reads, to keep the outputs off it.
async function statOf(v) {
  if (v.trim().startsWith('{')) return null;
  return stat(v).catch(() => null);
}

async function main(argv) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        policy: { type: 'string', default: 'cuc' }, tables: { type: 'string', default: 'default' },
        format: { type: 'string', default: 'json' }, o: { type: 'string' }, summary: { type: 'string' },
        encoding: { type: 'string', default: 'auto' }, fips: { type: 'boolean', default: false },
        exhaustive: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`tollgate-audit: ${e.message}\n\n${usage}`);
    return 2;
  }
  const { values: v, positionals } = args;
  if (v.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`tollgate-audit: want one input file (or - for standard input)\n\n${usage}`);
    return 2;
  }
  const Writer = { json: JSONLinesReport, csv: CSVReport, html: HTMLReport }[v.format];
  if (!Writer) {
    process.stderr.write(`tollgate-audit: unknown format ${JSON.stringify(v.format)}: want json, csv or html\n`);
    return 2;
  }
  const path = positionals[0];
  const outs = [];
  const docs = []; // the --policy and --tables files read
  try {
    let input;
    try {
      input = path === '-' ? Object.assign(process.stdin, { name: 'stdin' }) : await fileInput(path);
    } catch (e) {
      throw new Error(e.code === 'EISDIR' ? `${path}: a directory: give a regular file, a pipe, or - for standard input` : describe(e));
    }
    const inputs = [path === '-' ? fdStat(0) : await stat(path), await statOf(v.policy), await statOf(v.tables)].filter(Boolean);
    let report = { write: (s) => process.stdout.write(s), commit: async () => {}, abort: async () => {} };
    for (const [flag, file] of [['-o', v.o], ['--summary', v.summary]]) {
      if (file === undefined) continue;
      try {
        const out = await createOut(file, { flag, inputs, others: outs });
        outs.push(out);
        if (flag === '-o') report = out;
      } catch (e) {
        for (const o of outs) await o.abort();
        process.stderr.write(`tollgate-audit: ${flag}: ${describe(e)}\n`);
        return 2;
      }
    }
    let opts = {};
    if (v.format === 'html') {
      const script = await readFile(new URL('../htmlreport.js', import.meta.url), 'utf8');
      opts = { script, scriptHash: await scriptHash(script) };
    }
    const w = new Writer(report.write, opts);
    const policy = await docOrName(v.policy, '--policy', docs);
    const tables = await docOrName(v.tables, '--tables', docs);
    const { summary } = await audit(input, {
      name: input.name, policy, tables,
      // A document is named by what it compiles to, as the CLI names it.
      policyName: typeof policy === 'string' ? policy : undefined, tablesName: v.tables,
      encoding: v.encoding, fips: v.fips, exhaustive: v.exhaustive, records: false,
      onRecords: (rs) => { for (const r of rs) w.record(r); },
      // Notes name their source already ("audit: ...").
      onNote: (t) => process.stderr.write(`${t}\n`),
    });
    w.end(summary);
    const summaryOut = outs.find((o) => o.flag === '--summary');
    summaryOut?.write(summaryJSON(summary));
    for (const o of outs) await o.commit();
    return summary.findings > 0 ? 1 : 0;
  } catch (e) {
    for (const o of outs) await o.abort();
    const doc = docs.find((d) => (d.flag === '--policy' ? e?.code === 'invalid_policy' : e?.code === 'invalid_tables'));
    process.stderr.write(`tollgate-audit: ${docError(doc, e) ?? describe(e)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
