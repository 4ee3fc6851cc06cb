#!/usr/bin/env bash
# Integration test of issues 9 and 17: Kamailio asks `tollgate serve` about
# every new INVITE, and calls survive the death of a replica. Starts, on
# loopback ports only:
#
#   tollgate serve   (built from this tree; tables and users in testdata/kamailio)
#   sipp UAS         (the "gateway": answers 200 to what gets through)
#   kamailio check   (plugins/kamailio/kamailio.cfg, fails closed)
#   kamailio open    (the same with TOLLGATE_FAIL_OPEN)
#   kamailio off     (the same with TOLLGATE_OFF: the latency baseline)
#   kamailio token   (the same with TOLLGATE_TOKEN, against a second
#                     tollgate serve that wants a bearer token; one
#                     instance with a wrong token; one whose first
#                     replica is a closed port)
#   kamailio ha      (two replicas: TOLLGATE_CON and TOLLGATE_CON2, two
#                     more tollgate serve)
#   kamailio vel     (against a tollgate serve with --velocity, tables
#                     that allow international calls and declare the
#                     region, and an after-hours window around now)
#
# then places calls with sipp UAC scenarios and checks the final reply and
# its X-Tollgate-Reason header; kills a replica (SIGKILL), then hangs one
# (SIGSTOP), under a stream of calls, and reports call-setup times before,
# during and after. Every process is stopped on exit, pass or fail (trap).
# Ends with "N passed, N failed"; exit status 1 on a failure.
#
# Environment: LAT_CALLS (calls per latency round, default 300; 0 skips the
# measurement), LAT_ROUNDS (default 3), FAILOVER_ROUNDS (replica kills
# under load, default 1), FAILOVER_CALLS (calls per stream and round,
# default 150, at FAILOVER_RATE calls per second, default 25, in each of
# two streams: allowed and blocked), ENGINE (tollgate's --engine: wasm,
# the default, or native), TOLLGATE_STORE (the replicas' and the velocity
# service's --store, e.g. redis://127.0.0.1:6379/0; unset: each its own
# memory store, which dial verdicts do not need; the velocity counters
# then live in Redis), LATENCY_OUT (a file for the figures), KEEP_WORK=1
# keeps the work directory.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-kamailio.XXXXXX")
LAT_CALLS=${LAT_CALLS:-300}
LAT_ROUNDS=${LAT_ROUNDS:-3}
FAILOVER_ROUNDS=${FAILOVER_ROUNDS:-1}
FAILOVER_CALLS=${FAILOVER_CALLS:-150}
FAILOVER_RATE=${FAILOVER_RATE:-25}
ENGINE=${ENGINE:-wasm}
IP=127.0.0.1

PASSED=0
FAILED=0
PGIDS=()

log() { printf '%s\n' "$*"; }

# Each service runs in its own session (setsid), so its process group
# holds it and every child it forks (kamailio's workers).
cleanup() {
	local pg
	for pg in "${PGIDS[@]}"; do
		kill -TERM -- "-$pg" 2>/dev/null
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for pg in "${PGIDS[@]}"; do
			kill -0 -- "-$pg" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.2
	done
	for pg in "${PGIDS[@]}"; do
		kill -KILL -- "-$pg" 2>/dev/null
	done
	if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 2' INT TERM

die() {
	log "integration: $*"
	FAILED=$((FAILED + 1))
	log "$PASSED passed, $FAILED failed"
	exit 1
}

# start NAME CMD...: runs CMD in a new session, output in $WORK/NAME.log;
# the process group id is the pid.
start() {
	local name=$1
	shift
	setsid "$@" >"$WORK/$name.log" 2>&1 </dev/null &
	local pid=$!
	PGIDS+=("$pid")
	eval "PID_$name=$pid"
}

# A free UDP port on loopback (the kernel picks it; the socket is closed
# before the port is used, which is good enough on a test machine).
free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
	else
		echo $((20000 + RANDOM % 30000))
	fi
}

# A free TCP port on loopback with nothing listening on it.
free_tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_log FILE PATTERN SECONDS [PID]: until PATTERN is in FILE; gives up
# early when PID has exited.
wait_log() {
	local file=$1 pattern=$2 secs=$3 pid=${4-} i
	for ((i = 0; i < secs * 10; i++)); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# reap PID: waits for a child killed on purpose (without bash's "Killed"
# notice).
reap() { { wait "$1"; } 2>/dev/null; }

# count FILE PATTERN: lines of FILE holding PATTERN.
count() { grep -c -- "$2" "$1" 2>/dev/null; }

# wait_more FILE PATTERN N SECONDS: until PATTERN is on more than N lines.
wait_more() {
	local file=$1 pattern=$2 n=$3 secs=$4 i
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(count "$file" "$pattern")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

for tool in kamailio sipp setsid go python3; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make integration-deps installs kamailio and sip-tester)"
done

log "== building tollgate"
(cd "$ROOT" && go build -trimpath -o "$WORK/tollgate" ./cmd/tollgate) || die "go build failed"

# Eleven distinct ports.
PORTS=()
while [ ${#PORTS[@]} -lt 11 ]; do
	p=$(free_port)
	case " ${PORTS[*]-} " in *" $p "*) ;; *) PORTS+=("$p") ;; esac
done
SIP_CHECK=${PORTS[0]} SIP_OPEN=${PORTS[1]} SIP_OFF=${PORTS[2]} SIP_TOKEN=${PORTS[3]}
SIP_BADTOKEN=${PORTS[4]} SIP_UAS=${PORTS[5]} SIP_UAC=${PORTS[6]} SIP_HA=${PORTS[7]}
SIP_TOKEN2=${PORTS[8]} SIP_UAC2=${PORTS[9]} SIP_VEL=${PORTS[10]}
# A TCP port where no tollgate listens: a replica that is not there.
DEAD_ADDR=$IP:$(free_tcp_port)

# start_tollgate NAME ADDR [FLAGS...]: the decision service with the
# test's tables and users; unknown callers have no default class of service.
start_tollgate() {
	local name=$1 addr=$2
	shift 2
	start "$name" "$WORK/tollgate" serve --listen "$addr" --engine "$ENGINE" \
		--tables "${TABLES:-$ROOT/testdata/kamailio/tables.json}" \
		--users "$ROOT/testdata/kamailio/users.csv" "$@"
	eval "local pid=\$PID_$name"
	wait_log "$WORK/$name.log" "msg=listening" 20 "$pid" || { cat "$WORK/$name.log"; die "tollgate serve did not start"; }
}

log "== starting tollgate serve (five), sipp UAS and eight kamailio instances"
start_tollgate tollgate "$IP:0"
addr_of() { sed -n 's/.*msg=listening addr=\([0-9.:]*\).*/\1/p' "$WORK/$1.log" | head -1; }
TOLLGATE_ADDR=$(addr_of tollgate)
[ -n "$TOLLGATE_ADDR" ] || die "no listening address in the tollgate log"
log "tollgate serve on $TOLLGATE_ADDR (engine $ENGINE)"
# A second service that wants a bearer token.
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" >"$WORK/token"
start_tollgate tollgate_tok "$IP:0" --token-file "$WORK/token"
TOKEN_ADDR=$(addr_of tollgate_tok)
# Two replicas for the failover: the same tables and users, each its own
# process (and, with TOLLGATE_STORE, one shared store).
REPLICA_FLAGS=()
if [ -n "${TOLLGATE_STORE:-}" ]; then REPLICA_FLAGS=(--store "$TOLLGATE_STORE"); fi
start_tollgate rep1 "$IP:0" "${REPLICA_FLAGS[@]}"
start_tollgate rep2 "$IP:0" "${REPLICA_FLAGS[@]}"
REP1_ADDR=$(addr_of rep1) REP2_ADDR=$(addr_of rep2)
log "replicas on $REP1_ADDR and $REP2_ADDR"
# The velocity service (docs/tables.md, "Velocity"): tables under which
# staff may call abroad, with the region declared (so each call has a
# destination tier), and limits on the high tier, stricter after hours.
# After hours is made to cover now (the site's clock is UTC here): the
# burst below is a night-time burst whenever the test runs.
NIGHT_FROM=$(date -u -d '-1 hour' +%H:%M) NIGHT_TO=$(date -u -d '+2 hours' +%H:%M)
cat >"$WORK/velocity.json" <<EOF
{"after_hours": {"from": "$NIGHT_FROM", "to": "$NIGHT_TO", "time_zone": "UTC"},
 "limits": [
  {"tier": "high", "per": "caller", "calls": 10, "window": "10m"},
  {"tier": "high", "per": "caller", "calls": 3, "window": "10m", "when": "after_hours"},
  {"tier": "high", "per": "site", "calls": 20, "window": "1h"}]}
EOF
TABLES=$ROOT/testdata/kamailio/velocity-tables.json start_tollgate vel "$IP:0" --velocity "$WORK/velocity.json" "${REPLICA_FLAGS[@]}"
VEL_ADDR=$(addr_of vel)

start uas sipp -sn uas -i $IP -p "$SIP_UAS" -nostdin -bind_local
# start_kamailio NAME PORT EXTRA-DEFINES...; the first replica is $CON
# (default: the tollgate above).
start_kamailio() {
	local name=$1 port=$2
	shift 2
	start "$name" kamailio -DD -E -f "$HERE/kamailio.cfg" \
		-A "LISTEN=udp:$IP:$port" \
		-A "GATEWAY=\"sip:$IP:$SIP_UAS\"" \
		-A "TOLLGATE_CON=\"tollgate=>http://${CON:-$TOLLGATE_ADDR}\"" \
		-A SIP_WORKERS=2 "$@"
}
start_kamailio kam_check "$SIP_CHECK"
start_kamailio kam_open "$SIP_OPEN" -A TOLLGATE_FAIL_OPEN
start_kamailio kam_off "$SIP_OFF" -A TOLLGATE_OFF
start_kamailio kam_token "$SIP_TOKEN" -A "TOLLGATE_URL=\"http://$TOKEN_ADDR/v1/dial\"" -A "TOLLGATE_TOKEN=\"$TOKEN\""
start_kamailio kam_badtoken "$SIP_BADTOKEN" -A "TOLLGATE_URL=\"http://$TOKEN_ADDR/v1/dial\"" -A "TOLLGATE_TOKEN=\"not-$TOKEN\""
start_kamailio kam_token2 "$SIP_TOKEN2" -A "TOLLGATE_URL=\"http://$DEAD_ADDR/v1/dial\"" \
	-A "TOLLGATE_URL2=\"http://$TOKEN_ADDR/v1/dial\"" -A "TOLLGATE_TOKEN=\"$TOKEN\""
CON=$REP1_ADDR start_kamailio kam_ha "$SIP_HA" -A "TOLLGATE_CON2=\"tollgate2=>http://$REP2_ADDR\""
CON=$VEL_ADDR start_kamailio kam_vel "$SIP_VEL" -A 'TOLLGATE_FEATURE="outdial"'
KAMS=(kam_check kam_open kam_off kam_token kam_badtoken kam_token2 kam_ha kam_vel)
for k in "${KAMS[@]}"; do
	eval "pid=\$PID_$k"
	wait_log "$WORK/$k.log" "processes (at least)" 20 "$pid" || { tail -20 "$WORK/$k.log"; die "kamailio $k did not start"; }
done
sleep 0.5
for p in uas "${KAMS[@]}"; do
	eval "pid=\$PID_$p"
	kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/$p.log"; die "$p exited at start"; }
done

N=0
# call NAME PORT SCENARIO CALLER NUMBER WANT-STATUS [WANT-HEADER]
# Places one call; passes when the final reply is WANT-STATUS and, when
# given, X-Tollgate-Reason is exactly WANT-HEADER.
call() {
	local name=$1 port=$2 scenario=$3 caller=$4 number=$5 want=$6 header=${7-}
	N=$((N + 1))
	local msgs="$WORK/call$N.msg"
	sipp "$IP:$port" -sf "$HERE/sipp/$scenario" -s "$number" -key caller "$caller" \
		-i $IP -p "$SIP_UAC" -m 1 -nd -nostdin -timeout 15s -timeout_error \
		-trace_msg -message_file "$msgs" >"$WORK/call$N.out" 2>&1
	local rc=$?
	# The final reply to the INVITE: the last "SIP/2.0 NNN" line with NNN >= 200
	# before a CSeq INVITE line.
	local got
	got=$(tr -d '\r' <"$msgs" | awk '/^SIP\/2\.0 [0-9]+/ {st = $2} /^CSeq: [0-9]+ INVITE/ && st >= 200 {final = st; st = ""} END {print final}')
	local gothdr
	gothdr=$(tr -d '\r' <"$msgs" | sed -n 's/^X-Tollgate-Reason: //p' | head -1)
	if [ $rc = 0 ] && [ "$got" = "$want" ] && [ -z "$header" -o "$gothdr" = "$header" ]; then
		PASSED=$((PASSED + 1))
		log "ok   $name: $want${gothdr:+ ($gothdr)}"
	else
		FAILED=$((FAILED + 1))
		log "FAIL $name: sipp exit $rc, final reply '$got' (want $want), X-Tollgate-Reason '$gothdr'${header:+ (want '$header')}"
		log "     messages: $msgs"
	fi
}

# check NAME CMD...: passes when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then
		PASSED=$((PASSED + 1))
		log "ok   $name"
	else
		FAILED=$((FAILED + 1))
		log "FAIL $name"
	fi
}

log "== calls with tollgate running"
call "local number, staff caller" "$SIP_CHECK" uac-call.xml 2001 95551234 200
call "local number, staff alternate extension" "$SIP_CHECK" uac-call.xml 3001 95551234 200
call "international 9011" "$SIP_CHECK" uac-refused.xml 2001 9011441234567 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=1; pattern="9011*"'
call "international operator 900" "$SIP_CHECK" uac-refused.xml 2001 900 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=0; pattern="900*"'
call "trunk-code bypass 99900 (second trunk code 99)" "$SIP_CHECK" uac-refused.xml 2001 99900 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=0; pattern="99900*"'
call "lobby phone dials out" "$SIP_CHECK" uac-refused.xml 2100 95551234 403 \
	'blocked_number; reason=matched; table="Lobby Internal"; row=0; pattern="9*"'
call "lobby phone dials an extension" "$SIP_CHECK" uac-call.xml 2100 2002 200
call "number too long for the table" "$SIP_CHECK" uac-refused.xml 2001 912345678901234567890 403 \
	'blocked_number; reason=too_long; table="Staff Outdial"'
# A gateway may decode %30 to 0; tollgate sees the raw user part and refuses it.
call "percent-encoded digits are refused, not decoded past the check" "$SIP_CHECK" uac-refused.xml 2001 '9%3011441234567' 403 \
	'blocked_number; reason=invalid; table="Staff Outdial"'
call "caller not in the users file" "$SIP_CHECK" uac-refused.xml 7777 95551234 403 'unknown_caller'
call "forged To-tag does not skip the check" "$SIP_CHECK" uac-forged.xml 2001 9011441234567 481
call "fail-open instance while tollgate is up" "$SIP_OPEN" uac-refused.xml 2001 900 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=0; pattern="900*"'
call "bearer token: allowed call" "$SIP_TOKEN" uac-call.xml 2001 95551234 200
call "bearer token: blocked call" "$SIP_TOKEN" uac-refused.xml 2001 900 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=0; pattern="900*"'
call "wrong bearer token is refused, not let through" "$SIP_BADTOKEN" uac-refused.xml 2001 95551234 403 'unauthorized'
call "token, first replica not there: the second allows" "$SIP_TOKEN2" uac-call.xml 2001 95551234 200
call "token, first replica not there: the second blocks" "$SIP_TOKEN2" uac-refused.xml 2001 900 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=0; pattern="900*"'
# dials LOG: the /v1/dial requests a tollgate serve has answered.
dials() { count "$WORK/$1.log" 'route=/v1/dial status=200'; }
r1=$(dials rep1) r2=$(dials rep2)
call "two replicas: allowed call" "$SIP_HA" uac-call.xml 2001 95551234 200
call "two replicas: blocked call" "$SIP_HA" uac-refused.xml 2001 9011441234567 403 \
	'blocked_number; reason=matched; table="Staff Outdial"; row=1; pattern="9011*"'
check "two replicas: both up, the first answers both" test "$(dials rep1)" = $((r1 + 2)) -a "$(dials rep2)" = "$r2"

log "== velocity: a night-time burst to +882 (international network, tier high) from one caller"
# 2001 may call +882 (the table allows it), three times in ten minutes
# after hours; the rest of the burst is refused, for velocity, with the
# row that allowed the number. Other callers, and 2001's calls to low
# tiers, are not held to 2001's count.
IRSF=9011882161234567
VEL_HEADER='velocity; table="Staff International"; row=2; pattern="*"'
for i in 1 2 3; do
	call "burst call $i of 6 to +882 passes (after-hours limit 3 in 10m)" "$SIP_VEL" uac-call.xml 2001 $IRSF 200
done
for i in 4 5 6; do
	call "burst call $i of 6 to +882 is refused for velocity" "$SIP_VEL" uac-refused.xml 2001 $IRSF 403 "$VEL_HEADER"
done
call "the same caller's local call is not held to the high tier's limit" "$SIP_VEL" uac-call.xml 2001 95551234 200
call "another caller's call to +882 is unaffected" "$SIP_VEL" uac-call.xml 2002 $IRSF 200
call "the table still decides first: 900 is blocked, not velocity" "$SIP_VEL" uac-refused.xml 2001 900 403 \
	'blocked_number; reason=matched; table="Staff International"; row=0; pattern="900*"'
check "velocity: the service logged 3 refusals naming the after-hours limit" \
	test "$(count "$WORK/vel.log" 'codes="\[velocity:caller:high:600s:after_hours velocity\]"')" = 3

# p50 of a list of microsecond values on stdin.
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }

if [ "$LAT_CALLS" -gt 0 ]; then
	log "== call-setup time (INVITE sent to 200 received), $LAT_ROUNDS rounds of $LAT_CALLS sequential calls"
	: >"$WORK/lat-check.txt"
	: >"$WORK/lat-off.txt"
	for ((r = 1; r <= LAT_ROUNDS; r++)); do
		for mode in off check; do
			if [ $mode = check ]; then port=$SIP_CHECK; else port=$SIP_OFF; fi
			msgs="$WORK/lat-$mode-$r.msg"
			sipp "$IP:$port" -sf "$HERE/sipp/uac-call.xml" -s 95551234 -key caller 2001 \
				-i $IP -p "$SIP_UAC" -m "$LAT_CALLS" -l 1 -r 1000 -nd -nostdin -timeout 120s -timeout_error \
				-trace_msg -message_file "$msgs" >"$WORK/lat-$mode-$r.out" 2>&1 ||
				die "latency round $r ($mode): sipp failed, see $WORK/lat-$mode-$r.out"
			awk -f "$HERE/sipp/calls.awk" "$msgs" | awk -F '\t' '$3 == 200 {print $2 - $1}' >"$WORK/lat-$mode-$r.txt"
			n=$(wc -l <"$WORK/lat-$mode-$r.txt")
			[ "$n" = "$LAT_CALLS" ] || die "latency round $r ($mode): $n setup times for $LAT_CALLS calls"
			cat "$WORK/lat-$mode-$r.txt" >>"$WORK/lat-$mode.txt"
			log "round $r $mode: p50 $(median <"$WORK/lat-$mode-$r.txt") µs"
			rm -f "$msgs"
		done
	done
	pct() { sort -n "$1" | awk -v p="$2" '{a[NR] = $1} END {i = int(NR * p + 0.5); if (i < 1) i = 1; print a[i]}'; }
	for mode in off check; do
		f="$WORK/lat-$mode.txt"
		printf '%-6s calls %d  p50 %d µs  p90 %d µs  p99 %d µs  mean %d µs\n' "$mode" "$(wc -l <"$f")" \
			"$(pct "$f" 0.5)" "$(pct "$f" 0.9)" "$(pct "$f" 0.99)" "$(awk '{s += $1} END {print int(s / NR)}' "$f")" |
			tee -a "$WORK/latency.txt"
	done
	off50=$(pct "$WORK/lat-off.txt" 0.5)
	chk50=$(pct "$WORK/lat-check.txt" 0.5)
	awk -v a="$chk50" -v b="$off50" 'BEGIN {printf "ratio check/off (p50): %.2f  added: %d µs\n", a / b, a - b}' | tee -a "$WORK/latency.txt"
	# The service's own share: the duration tollgate serve logs per request.
	grep 'route=/v1/dial status=200' "$WORK/tollgate.log" | sed -n 's/.* duration=\([0-9.]*\)\([µm]\)s .*/\1 \2/p' |
		awk '{print ($2 == "m") ? $1 * 1000 : $1}' >"$WORK/service.txt"
	printf 'tollgate serve (%s) time per /v1/dial, from its log: p50 %.0f µs  p90 %.0f µs\n' "$ENGINE" \
		"$(pct "$WORK/service.txt" 0.5)" "$(pct "$WORK/service.txt" 0.9)" | tee -a "$WORK/latency.txt"
fi

log "== tollgate stopped"
kill -TERM "$PID_tollgate"
for _ in $(seq 50); do kill -0 "$PID_tollgate" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID_tollgate" 2>/dev/null && die "tollgate serve did not stop on SIGTERM"
call "local number fails closed" "$SIP_CHECK" uac-refused.xml 2001 95551234 503 'unavailable; policy=fail-closed'
call "international fails closed" "$SIP_CHECK" uac-refused.xml 2001 9011441234567 503 'unavailable; policy=fail-closed'
call "fail-open instance lets the call through" "$SIP_OPEN" uac-call.xml 2001 95551234 200

log "== tollgate back on the same address, then hung (SIGSTOP)"
back='replica 1 passes its health check'
n=$(count "$WORK/kam_check.log" "$back")
start_tollgate tollgate2 "$TOLLGATE_ADDR"
# The calls above marked the replica down; the health check clears the
# mark within a second of its return.
wait_more "$WORK/kam_check.log" "$back" "$n" 10 || die "kamailio did not see tollgate back: $(tail -3 "$WORK/kam_check.log")"
call "calls go through again after a restart" "$SIP_CHECK" uac-call.xml 2001 95551234 200
kill -STOP "$PID_tollgate2"
call "no answer within the timeout fails closed" "$SIP_CHECK" uac-refused.xml 2001 95551234 503 'unavailable; policy=fail-closed'
kill -CONT "$PID_tollgate2"

FAILOVER_HEADER='blocked_number; reason=matched; table="Staff Outdial"; row=1; pattern="9011*"'
FAILOVER_WINDOW_US=2000000
FO_N=0
# The failover streams' calls: testdata/kamailio/failover-calls.tsv. Each
# stream is a sipp inject file (caller;number, in turn) and its scenario
# with the caller and the number taken from it.
CASES=$ROOT/testdata/kamailio/failover-calls.tsv
for stream in allowed refused; do
	{
		echo SEQUENTIAL
		awk -F '\t' -v s="$stream" '!/^#/ && NF >= 4 && (($3 == 200) == (s == "allowed")) {print $1 ";" $2}' "$CASES"
	} >"$WORK/fo-$stream.csv"
	[ "$(wc -l <"$WORK/fo-$stream.csv")" -gt 1 ] || die "$CASES has no $stream calls"
done
sed 's/\[caller\]/[field0]/g; s/\[service\]/[field1]/g' "$HERE/sipp/uac-call.xml" >"$WORK/fo-allowed.xml"
sed 's/\[caller\]/[field0]/g; s/\[service\]/[field1]/g' "$HERE/sipp/uac-refused.xml" >"$WORK/fo-refused.xml"

# stats FILE CLASS: "n=N p50 X p99 Y max Z ms" of the setup times (µs,
# the second field) of the lines of FILE whose first field is CLASS.
stats() {
	awk -v c="$2" '$1 == c {print $2}' "$1" | sort -n |
		awk '{a[NR] = $1} END {
			if (!NR) {print "n=0"; exit}
			i = int(NR * 0.99 + 0.5); if (i < 1) i = 1
			printf "n=%d p50 %.2f p99 %.2f max %.2f ms", NR, a[int((NR + 1) / 2)] / 1000, a[i] / 1000, a[NR] / 1000
		}'
}

# judge CALLS...: each call (calls.awk lines) against $CASES. Prints
# "ok N", "wrong N", "allowed N" (a 200 the table does not give: a call
# let through wrongly), "unanswered N", then the first wrong calls.
judge() {
	awk -F '\t' -v cases="$CASES" '
		BEGIN {
			while ((getline l < cases) > 0) {
				if (l ~ /^#/) continue
				split(l, f, "\t"); want[f[1] SUBSEP f[2]] = f[3]; hdr[f[1] SUBSEP f[2]] = f[4]
			}
		}
		{
			k = $5 SUBSEP $6
			if ($3 == "-") { un++; bad[++nb] = "no final reply: " $5 " dials " $6; next }
			if ($3 == 200 && want[k] != 200) al++
			if ((k in want) && $3 == want[k] && $4 == hdr[k]) { ok++; next }
			wr++
			bad[++nb] = $5 " dials " $6 ": " $3 " (" $4 "), want " ((k in want) ? want[k] " (" hdr[k] ")" : "no such call in the table")
		}
		END {
			printf "ok %d\nwrong %d\nallowed %d\nunanswered %d\n", ok, wr, al, un
			for (i = 1; i <= nb && i <= 5; i++) print bad[i]
		}' "$@"
}

# failover_round LABEL SIGNAL REPLICA-LOG PID: two streams of calls
# through kam_ha, FAILOVER_CALLS each at FAILOVER_RATE a second, the rows
# of $CASES in turn (allowed: the 200 rows; refused: the others), SIGNAL
# sent to the first replica (PID) a third of the way in. Passes when every
# call got the reply and X-Tollgate-Reason of its row (none let through,
# none 503), the first replica answered before the signal and the second
# after it. Call-setup times (INVITE to final reply) go to
# $WORK/fo-SIGNAL.times, classed by the signal's time K: before (answered
# before K), during (placed before K + 2 s), after.
failover_round() {
	local label=$1 sig=$2 replog=$3 pid=$4
	FO_N=$((FO_N + 1))
	local base=$WORK/fo$FO_N
	local at
	at=$(awk -v n="$FAILOVER_CALLS" -v r="$FAILOVER_RATE" 'BEGIN {printf "%.2f", n / r / 3}')
	start "fo${FO_N}a" sipp "$IP:$SIP_HA" -sf "$WORK/fo-allowed.xml" -inf "$WORK/fo-allowed.csv" \
		-i $IP -p "$SIP_UAC" -m "$FAILOVER_CALLS" -r "$FAILOVER_RATE" -nd -nostdin -timeout 120s -timeout_error \
		-trace_msg -message_file "$base-allowed.msg"
	start "fo${FO_N}b" sipp "$IP:$SIP_HA" -sf "$WORK/fo-refused.xml" -inf "$WORK/fo-refused.csv" \
		-i $IP -p "$SIP_UAC2" -m "$FAILOVER_CALLS" -r "$FAILOVER_RATE" -nd -nostdin -timeout 120s -timeout_error \
		-trace_msg -message_file "$base-refused.msg"
	local d1 d2
	d1=$(dials "$replog") d2=$(dials rep2)
	sleep "$at"
	local k1 k2 f1
	k1=$(dials "$replog") k2=$(dials rep2) f1=$(count "$WORK/kam_ha.log" 'replica 1 gave no decision')
	local k
	k=$(date +%s%6N)
	kill "-$sig" "$pid"
	if [ "$sig" = KILL ]; then reap "$pid"; fi
	local rca rcb
	eval "wait \$PID_fo${FO_N}a"
	rca=$?
	eval "wait \$PID_fo${FO_N}b"
	rcb=$?
	local e2 retried
	e2=$(dials rep2) retried=$(($(count "$WORK/kam_ha.log" 'replica 1 gave no decision') - f1))
	awk -f "$HERE/sipp/calls.awk" "$base-allowed.msg" >"$base-allowed.calls"
	awk -f "$HERE/sipp/calls.awk" "$base-refused.msg" >"$base-refused.calls"
	judge "$base-allowed.calls" "$base-refused.calls" >"$base.judged"
	local ok wrong allowed unanswered placed
	ok=$(sed -n 's/^ok //p' "$base.judged") wrong=$(sed -n 's/^wrong //p' "$base.judged")
	allowed=$(sed -n 's/^allowed //p' "$base.judged") unanswered=$(sed -n 's/^unanswered //p' "$base.judged")
	placed=$(cat "$base-allowed.calls" "$base-refused.calls" | wc -l)
	cat "$base-allowed.calls" "$base-refused.calls" |
		awk -F '\t' -v k="$k" -v w="$FAILOVER_WINDOW_US" '$3 != "-" {
			c = $2 < k ? "before" : $1 < k + w ? "during" : "after"; print c, $2 - $1
		}' >"$base.times"
	cat "$base.times" >>"$WORK/fo-$sig.times"
	local line
	line="failover $FO_N, $label at ${at} s: before $(stats "$base.times" before) | during (2 s) $(stats "$base.times" during) | after $(stats "$base.times" after) | $retried calls failed over from replica 1 within the call"
	log "$line"
	printf '%s\n' "$line" >>"$WORK/latency.txt"
	local why=""
	[ "$rca" = 0 ] && [ "$rcb" = 0 ] || why="$why; sipp exit $rca (allowed), $rcb (refused)"
	[ "$placed" = $((2 * FAILOVER_CALLS)) ] || why="$why; $placed calls placed, not $((2 * FAILOVER_CALLS))"
	[ "$ok" = "$placed" ] || why="$why; $ok of $placed calls answered as the table says, $wrong wrong, $unanswered without a final reply"
	[ "$allowed" = 0 ] || why="$why; $allowed calls LET THROUGH that the table refuses"
	[ "$k1" -gt "$d1" ] || why="$why; the first replica answered nothing before the signal"
	[ "$e2" -gt "$k2" ] || why="$why; the second replica answered nothing after the signal"
	[ "$(awk '$1 == "during"' "$base.times" | wc -l)" -gt 0 ] && [ "$(awk '$1 == "after"' "$base.times" | wc -l)" -gt 0 ] ||
		why="$why; no calls during or after the signal (FAILOVER_CALLS, FAILOVER_RATE)"
	if [ -z "$why" ]; then
		PASSED=$((PASSED + 1))
		log "ok   $label: all $placed calls (the $(grep -vc '^#' "$CASES") rows of $(basename "$CASES") in turn) answered as the table says, none let through"
	else
		FAILED=$((FAILED + 1))
		log "FAIL $label${why}"
		sed -n '5,$s/^/     /p' "$base.judged"
		log "     calls: $base-allowed.calls, $base-refused.calls"
	fi
	rm -f "$base-allowed.msg" "$base-refused.msg"
}

# restart_replica1 NAME: a new first replica on the same address, and
# kam_ha's health check has seen it back.
restart_replica1() {
	local n
	n=$(count "$WORK/kam_ha.log" "$back")
	start_tollgate "$1" "$REP1_ADDR" "${REPLICA_FLAGS[@]}"
	wait_more "$WORK/kam_ha.log" "$back" "$n" 10 || die "kamailio ha did not see replica 1 back: $(tail -3 "$WORK/kam_ha.log")"
}

log "== two replicas: the first killed (SIGKILL) under calls, $FAILOVER_ROUNDS round(s)"
rep=rep1
for ((r = 1; r <= FAILOVER_ROUNDS; r++)); do
	if [ "$r" -gt 1 ]; then
		rep=rep1r$r
		restart_replica1 "$rep"
	fi
	eval "pid=\$PID_$rep"
	failover_round "SIGKILL replica 1" KILL "$rep" "$pid"
	kill -0 "$pid" 2>/dev/null && die "replica 1 survived SIGKILL"
done

log "== two replicas: the first hung (SIGSTOP) under calls"
restart_replica1 rep1h
failover_round "SIGSTOP replica 1" STOP rep1h "$PID_rep1h"

log "== two replicas: both down (replica 1 hung, replica 2 killed), then replica 1 back"
kill -KILL "$PID_rep2"
reap "$PID_rep2"
call "both replicas down: local number fails closed" "$SIP_HA" uac-refused.xml 2001 95551234 503 'unavailable; policy=fail-closed'
call "both replicas down: international fails closed" "$SIP_HA" uac-refused.xml 2001 9011441234567 503 'unavailable; policy=fail-closed'
n=$(count "$WORK/kam_ha.log" "$back")
kill -CONT "$PID_rep1h"
wait_more "$WORK/kam_ha.log" "$back" "$n" 10 || die "kamailio ha did not see replica 1 back after SIGCONT"
call "replica 1 back alone: allowed call" "$SIP_HA" uac-call.xml 2001 95551234 200
call "replica 1 back alone: blocked call" "$SIP_HA" uac-refused.xml 2001 9011441234567 403 "$FAILOVER_HEADER"

for sig in KILL STOP; do
	f=$WORK/fo-$sig.times
	[ -s "$f" ] || continue
	printf 'failover SIG%s, all rounds: before %s | during (2 s) %s | after %s\n' "$sig" \
		"$(stats "$f" before)" "$(stats "$f" during)" "$(stats "$f" after)" | tee -a "$WORK/latency.txt"
done
if [ -n "${LATENCY_OUT:-}" ] && [ -f "$WORK/latency.txt" ]; then cp "$WORK/latency.txt" "$LATENCY_OUT"; fi

log "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
