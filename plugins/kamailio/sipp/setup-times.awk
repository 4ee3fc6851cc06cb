# Call-setup times from a sipp -trace_msg log: INVITE sent to 200 OK
# (CSeq INVITE) received, per Call-ID, in microseconds, one a line.
function us(t,   a) { split(t, a, ":"); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1e6 }
{ sub(/\r$/, "") }
/^----------------------------------------------- / { ts = us($3); dir = ""; start = ""; next }
/^UDP message sent/ { dir = "out"; next }
/^UDP message received/ { dir = "in"; next }
dir == "" || $0 == "" { next }
start == "" { start = $0; next }
/^Call-ID:/ { cid = $2 }
/^CSeq:/ {
  if (dir == "out" && start ~ /^INVITE / && !(cid in sent)) sent[cid] = ts
  if (dir == "in" && start ~ /^SIP\/2\.0 200/ && $3 == "INVITE" && (cid in sent) && !(cid in got)) {
    d = ts - sent[cid]
    if (d < 0) d += 86400e6  # the call crossed midnight
    got[cid] = ts; printf "%.0f\n", d
  }
  dir = ""
}
