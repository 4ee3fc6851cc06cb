// The JS audit() in Node on a file: CPU per row (process.cpuUsage, all of
// the process's threads: V8's compiler threads too) and wall rows/s, per
// run, after one warm-up run on the same instance. The V8 counterpart of
// `go test -bench AuditWasm ./audit` (docs/performance.md, "The audit in
// the module", "Under V8"). A measurement, not a test.
//
//   go run ./cmd/internal/gencsv -n 300000 -hashes=false -o /tmp/bat-300k.csv
//   node js/bench/audit-node.mjs /tmp/bat-300k.csv [runs]

import { audit, fileInput, auditLoadOptions } from '../audit.js';
import { load } from '../tollgate.js';

const [file, runsArg = '3'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node js/bench/audit-node.mjs FILE.csv [runs]');
  process.exit(2);
}
const tg = await load(auditLoadOptions());
const input = await fileInput(file);
const one = async () => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { summary } = await audit(input, { tollgate: tg, records: false, year: 2026 });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { rows: summary.rows, cpuNsRow: ((c.user + c.system) * 1000) / summary.rows, rowsPerSec: summary.rows / wall };
};
const warm = await one();
console.log(`warm-up: ${warm.rows} rows, ${warm.cpuNsRow.toFixed(0)} cpu-ns/row, ${warm.rowsPerSec.toFixed(0)} rows/s`);
for (let i = 0; i < +runsArg; i++) {
  const r = await one();
  console.log(`BenchmarkAuditNode\t1\t${r.rowsPerSec.toFixed(0)} rows/s\t${r.cpuNsRow.toFixed(0)} cpu-ns/row`);
}
