# The calls of a sipp -trace_msg log, one a line, in the order they were
# placed, tab-separated:
#
#   INVITE-sent  final-reply-received  status  X-Tollgate-Reason  caller  number
#
# Times are microseconds since the epoch (sipp stamps each message with its
# local date and time, to the microsecond; sipp's own response-time
# statistics count whole milliseconds). The final reply is the first one of
# 200 and above to the INVITE (CSeq INVITE); a call without one has "-" in
# fields 2 to 4, a reply without the header "-" in the fourth. The caller
# is the user of the INVITE's From, the number the user of its
# Request-URI (what Kamailio asked tollgate about). Call-setup time is the
# second field minus the first.
function us(d, t,   a, b) {
  split(d, a, "-"); split(t, b, ":")
  return mktime(a[1] " " a[2] " " a[3] " 0 0 0") * 1e6 + ((b[1] * 60 + b[2]) * 60 + b[3]) * 1e6
}
function flush(   f) {
  if (start != "" && method == "INVITE" && cid != "") {
    if (dir == "out" && start ~ /^INVITE / && !(cid in sent)) {
      sent[cid] = ts; order[++n] = cid; caller[cid] = user(from); number[cid] = user(start)
    }
    if (dir == "in" && start ~ /^SIP\/2\.0 [2-6][0-9][0-9] / && (cid in sent) && !(cid in got)) {
      split(start, f, " "); got[cid] = ts; status[cid] = f[2]; reason[cid] = xr == "" ? "-" : xr
    }
  }
  start = ""; dir = ""
}
# user("INVITE sip:900@host SIP/2.0"), user("<sip:2001@host>;tag=x"): the
# user part of the first SIP URI ("-" when there is none).
function user(s,   u) {
  if (!match(s, /sip:[^@;> ]*@/)) return "-"
  return substr(s, RSTART + 4, RLENGTH - 5)
}
{ sub(/\r$/, "") }
/^----------------------------------------------- / { flush(); ts = us($2, $3); next }
/^UDP message sent/ { dir = "out"; next }
/^UDP message received/ { dir = "in"; next }
dir == "" { next }
start == "" { if ($0 != "") { start = $0; cid = ""; method = ""; xr = ""; from = ""; inhdr = 1 }; next }
!inhdr { next }
$0 == "" { inhdr = 0; next }
tolower($1) == "call-id:" { cid = $2 }
tolower($1) == "cseq:" { method = $3 }
tolower($1) == "from:" || $1 == "f:" { from = $0 }
tolower($1) == "x-tollgate-reason:" { xr = $0; sub(/^[^:]*: */, "", xr) }
END {
  flush()
  for (i = 1; i <= n; i++) {
    c = order[i]
    if (c in got) printf "%.0f\t%.0f\t%s\t%s\t%s\t%s\n", sent[c], got[c], status[c], reason[c], caller[c], number[c]
    else printf "%.0f\t-\t-\t-\t%s\t%s\n", sent[c], caller[c], number[c]
  }
}
