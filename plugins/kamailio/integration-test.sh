#!/usr/bin/env bash
# Integration test of issue 9: Kamailio asks `tollgate serve` about every
# new INVITE. Starts, on loopback ports only:
#
#   tollgate serve   (built from this tree; tables and users in testdata/kamailio)
#   sipp UAS         (the "gateway": answers 200 to what gets through)
#   kamailio check   (plugins/kamailio/kamailio.cfg, fails closed)
#   kamailio open    (the same with TOLLGATE_FAIL_OPEN)
#   kamailio off     (the same with TOLLGATE_OFF: the latency baseline)
#   kamailio token   (the same with TOLLGATE_TOKEN, against a second
#                     tollgate serve that wants a bearer token; and one
#                     instance with a wrong token)
#
# then places calls with sipp UAC scenarios and checks the final reply and
# its X-Tollgate-Reason header. Every process is stopped on exit, pass or
# fail (trap). Ends with "N passed, N failed"; exit status 1 on a failure.
#
# Environment: LAT_CALLS (calls per latency round, default 300; 0 skips the
# measurement), LAT_ROUNDS (default 3), ENGINE (tollgate's --engine: wasm,
# the default, or native), KEEP_WORK=1 keeps the work directory.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-kamailio.XXXXXX")
LAT_CALLS=${LAT_CALLS:-300}
LAT_ROUNDS=${LAT_ROUNDS:-3}
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

for tool in kamailio sipp setsid go; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make integration-deps installs kamailio and sip-tester)"
done

log "== building tollgate"
(cd "$ROOT" && go build -trimpath -o "$WORK/tollgate" ./cmd/tollgate) || die "go build failed"

# Seven distinct ports.
PORTS=()
while [ ${#PORTS[@]} -lt 7 ]; do
	p=$(free_port)
	case " ${PORTS[*]-} " in *" $p "*) ;; *) PORTS+=("$p") ;; esac
done
SIP_CHECK=${PORTS[0]} SIP_OPEN=${PORTS[1]} SIP_OFF=${PORTS[2]} SIP_TOKEN=${PORTS[3]}
SIP_BADTOKEN=${PORTS[4]} SIP_UAS=${PORTS[5]} SIP_UAC=${PORTS[6]}

# start_tollgate NAME ADDR [FLAGS...]: the decision service with the
# test's tables and users; unknown callers have no default class of service.
start_tollgate() {
	local name=$1 addr=$2
	shift 2
	start "$name" "$WORK/tollgate" serve --listen "$addr" --engine "$ENGINE" \
		--tables "$ROOT/testdata/kamailio/tables.json" \
		--users "$ROOT/testdata/kamailio/users.csv" "$@"
	eval "local pid=\$PID_$name"
	wait_log "$WORK/$name.log" "msg=listening" 20 "$pid" || { cat "$WORK/$name.log"; die "tollgate serve did not start"; }
}

log "== starting tollgate serve, sipp UAS and three kamailio instances"
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

start uas sipp -sn uas -i $IP -p "$SIP_UAS" -nostdin -bind_local
start_kamailio() { # NAME PORT EXTRA-DEFINES...
	local name=$1 port=$2
	shift 2
	start "$name" kamailio -DD -E -f "$HERE/kamailio.cfg" \
		-A "LISTEN=udp:$IP:$port" \
		-A "GATEWAY=\"sip:$IP:$SIP_UAS\"" \
		-A "TOLLGATE_CON=\"tollgate=>http://$TOLLGATE_ADDR\"" \
		-A SIP_WORKERS=2 "$@"
}
start_kamailio kam_check "$SIP_CHECK"
start_kamailio kam_open "$SIP_OPEN" -A TOLLGATE_FAIL_OPEN
start_kamailio kam_off "$SIP_OFF" -A TOLLGATE_OFF
start_kamailio kam_token "$SIP_TOKEN" -A "TOLLGATE_URL=\"http://$TOKEN_ADDR/v1/dial\"" -A "TOLLGATE_TOKEN=\"$TOKEN\""
start_kamailio kam_badtoken "$SIP_BADTOKEN" -A "TOLLGATE_URL=\"http://$TOKEN_ADDR/v1/dial\"" -A "TOLLGATE_TOKEN=\"not-$TOKEN\""
for k in kam_check kam_open kam_off kam_token kam_badtoken; do
	eval "pid=\$PID_$k"
	wait_log "$WORK/$k.log" "processes (at least)" 20 "$pid" || { tail -20 "$WORK/$k.log"; die "kamailio $k did not start"; }
done
sleep 0.5
for p in uas kam_check kam_open kam_off kam_token kam_badtoken; do
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
			awk -f "$HERE/sipp/setup-times.awk" "$msgs" >"$WORK/lat-$mode-$r.txt"
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
	if [ -n "${LATENCY_OUT:-}" ]; then cp "$WORK/latency.txt" "$LATENCY_OUT"; fi
fi

log "== tollgate stopped"
kill -TERM "$PID_tollgate"
for _ in $(seq 50); do kill -0 "$PID_tollgate" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID_tollgate" 2>/dev/null && die "tollgate serve did not stop on SIGTERM"
call "local number fails closed" "$SIP_CHECK" uac-refused.xml 2001 95551234 503 'unavailable; policy=fail-closed'
call "international fails closed" "$SIP_CHECK" uac-refused.xml 2001 9011441234567 503 'unavailable; policy=fail-closed'
call "fail-open instance lets the call through" "$SIP_OPEN" uac-call.xml 2001 95551234 200

log "== tollgate back on the same address, then hung (SIGSTOP)"
start_tollgate tollgate2 "$TOLLGATE_ADDR"
call "calls go through again after a restart" "$SIP_CHECK" uac-call.xml 2001 95551234 200
kill -STOP "$PID_tollgate2"
call "no answer within the timeout fails closed" "$SIP_CHECK" uac-refused.xml 2001 95551234 503 'unavailable; policy=fail-closed'
kill -CONT "$PID_tollgate2"

log "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
