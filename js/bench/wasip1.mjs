// Runs a wasip1 command (a Go test binary built with GOOS=wasip1
// GOARCH=wasm go test -c) under Node's node:wasi, with the host's / as its
// /, its arguments after the file and TOLLGATE_AUDIT_FILE passed on: the
// V8 counterpart of `wazero run -mount /:/` for the guest-compute ratio
// (docs/performance.md, "The audit in the module", "Under V8").
//
//   GOOS=wasip1 GOARCH=wasm go test -c -tags=tollgate_small -o /tmp/auditcore.wasm ./internal/auditcore
//   TOLLGATE_AUDIT_FILE=/tmp/bat-300k.csv node js/bench/wasip1.mjs /tmp/auditcore.wasm -test.run '^$' -test.bench 'Stream$' -test.benchtime=1x -test.count=3
//
// V8 compiles the module with Liftoff first and tiers hot functions up to
// TurboFan as they run: the first count of a run is the slower one.

import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

process.removeAllListeners('warning'); // node:wasi is "experimental"
const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node js/bench/wasip1.mjs FILE.wasm [ARGS...]');
  process.exit(2);
}
const env = {};
if (process.env.TOLLGATE_AUDIT_FILE) env.TOLLGATE_AUDIT_FILE = process.env.TOLLGATE_AUDIT_FILE;
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens: { '/': '/' }, returnOnExit: true });
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
process.exitCode = wasi.start(inst);
