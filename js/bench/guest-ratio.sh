#!/usr/bin/env bash
# The guest-compute ratio of the audit under wazero and V8 (Node, Chromium)
# and the boundary's share on each host (docs/performance.md, "The audit in
# the module", "Under V8"). For each file and round, one after the other:
#   Stream, StreamAudit   internal/auditcore's benchmarks (no boundary):
#                         native as built for the module (tollgate_small)
#                         and as the native audit runs (standard hashes),
#                         wasip1 under wazero, Node (node:wasi), Chromium
#   AuditNative/AuditWasm the Go audit on each engine (package audit)
#   AuditNode             js/audit.js's audit() in Node on the same file
# Each process runs two counts; the second (V8 warm, wazero's cache warm)
# is kept. Prints the raw lines to $OUT/raw.txt and the medians.
#
#   make bench-guest            (files in /tmp/tollgate-audit, 3 rounds)
#   js/bench/guest-ratio.sh ROUNDS FILE.csv...
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; shift || true
[ $# -gt 0 ] || { echo "usage: $0 ROUNDS FILE.csv..." >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
GO=${GO:-go}
NODE=${NODE:-node}
$GO test -c -tags=tollgate_small -o "$OUT/stream-small.test" ./internal/auditcore
$GO test -c -o "$OUT/stream-std.test" ./internal/auditcore
GOOS=wasip1 GOARCH=wasm $GO test -c -tags=tollgate_small -o "$OUT/stream.wasm" ./internal/auditcore
$GO build -o "$OUT/wazero" github.com/tetratelabs/wazero/cmd/wazero
$GO test -c -o "$OUT/audit.test" ./audit
chromium=1
[ -x "${TOLLGATE_CHROMIUM:-/usr/bin/chromium}" ] && [ -d js/node_modules/playwright-core ] || chromium=0
B=(-test.run '^$' -test.bench 'Stream' -test.benchtime=1x -test.count=2)
raw="$OUT/raw.txt"; : > "$raw"
# last NAME LABEL FILE: the last count of each benchmark in stdin, as
# "FILE LABEL/NAME VALUE" (ns/row or cpu-ns/row).
last() {
  awk -v f="$2" -v l="$1" '/^Benchmark/ { n=$1; sub(/-[0-9]+$/, "", n); for (i=2;i<=NF;i++) if ($i=="ns/row"||$i=="cpu-ns/row") v[n]=$(i-1) } END { for (n in v) print f, l "/" n, v[n] }' | tee -a "$raw"
}
# run LABEL FILE CMD...: CMD's last counts; a failed run is tried again
# twice. Node 20 under node:wasi dies now and then (a V8 fatal error in
# the mark-compact collector's ephemeron pass, reached from memory.grow
# through incremental marking: 3 of 3 bat-300k runs in one session);
# with --no-incremental-marking 4 of 4 ran, at the same ns per row.
run() {
  local l=$1 b=$2; shift 2
  for try in 1 2 3; do
    if "$@" > "$OUT/out.txt" 2>"$OUT/err.txt"; then last "$l" "$b" < "$OUT/out.txt"; return; fi
    echo "# $l $b: failed (try $try): $(tail -1 "$OUT/err.txt")" | tee -a "$raw.failures" >&2
  done
  return 1
}
for r in $(seq "$rounds"); do
  for f in "$@"; do
    b=$(basename "$f" .csv)
    echo "# round $r, $b" >&2
    export TOLLGATE_AUDIT_FILE=$f
    run native-small "$b" "$OUT/stream-small.test" "${B[@]}"
    run native-std "$b" "$OUT/stream-std.test" "${B[@]}"
    run wazero "$b" "$OUT/wazero" run -mount /:/ -env TOLLGATE_AUDIT_FILE="$f" "$OUT/stream.wasm" "${B[@]}"
    run node "$b" $NODE --no-incremental-marking js/bench/wasip1.mjs "$OUT/stream.wasm" "${B[@]}"
    if [ $chromium = 1 ]; then
      run chromium "$b" $NODE js/bench/wasip1-browser.mjs "$OUT/stream.wasm" "${B[@]}"
    fi
    run go "$b" "$OUT/audit.test" -test.run '^$' -test.bench 'AuditNative$|AuditWasm$' -test.benchtime=1x -test.count=2
    run js "$b" $NODE js/bench/audit-node.mjs "$f" 1
    unset TOLLGATE_AUDIT_FILE
  done
done
echo "# medians of $rounds rounds (ns per row; Stream* wall on one thread, Audit* CPU); raw: $raw"
sort -k1,1 -k2,2 -k3,3n "$raw" | awk 'function med() { return a[int((n + 1) / 2)] }
  { k = $1 " " $2; if (k != p) { if (p != "") print p, med(); p = k; n = 0 } a[++n] = $3 }
  END { if (p != "") print p, med() }'
