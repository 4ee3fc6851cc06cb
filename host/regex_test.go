package host

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// catastrophic is a tables document with a regex row that backtracks
// exponentially on a run of 1s: natively regexp2's match timeout stops it;
// in wasm that timeout cannot fire (docs/host.md), so the engine must.
const catastrophic = `{"tables":[{"name":"r","dialect":"regex","max_digits":60,"rows":[{"pattern":"^(1+)+2$","blocked":true},{"pattern":".*","blocked":false}]}]}`

func TestRegexGuard(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, Options{Instances: 1, GuardTimeout: 300 * time.Millisecond})
	num := strings.Repeat("1", 40)

	// Inline document through Do.
	start := time.Now()
	resp, err := w.Do(ctx, "dial", []byte(`{"tables":`+catastrophic+`,"table":"r","number":"`+num+`"}`))
	var f *Fault
	if !errors.As(err, &f) || f.Status != "deadline" || !errors.Is(err, context.DeadlineExceeded) || resp != nil {
		t.Fatalf("catastrophic regex through Do = %s, %v; want a deadline Fault", resp, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the guard took %v", d)
	}

	// Loaded once, then by handle: JSON and the scalar path.
	h, err := w.LoadTables(ctx, []byte(catastrophic))
	if err != nil {
		t.Fatal(err)
	}
	if !w.regexTables(h) {
		t.Fatalf("handle %d not marked as holding a regex", h)
	}
	if _, err := w.Do(ctx, "dial", []byte(`{"tables":`+strconv.Itoa(h)+`,"table":"r","number":"`+num+`"}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("catastrophic regex by handle = %v, want a deadline", err)
	}
	if _, err := w.Dial(ctx, h, 0, []byte(num)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("catastrophic regex through Dial = %v, want a deadline", err)
	}
	// A caller's own, shorter deadline wins.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := w.Dial(short, h, 0, []byte(num)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial under a 50 ms deadline = %v", err)
	}

	// A harmless number on the same regex table answers as native does.
	n := NewNative(Options{})
	nh, _ := n.LoadTables(ctx, []byte(catastrophic))
	got, err := w.Dial(ctx, h, 0, []byte("12"))
	want, _ := n.Dial(ctx, nh, 0, []byte("12"))
	if err != nil || got != want {
		t.Fatalf("Dial(12) on the regex table: wasm %+v %v, native %+v", got, err, want)
	}

	// Calls without regexes stay on the main pool and keep working.
	if _, err := w.Do(ctx, "pin", []byte(`{"pin":"135792"}`)); err != nil {
		t.Fatal(err)
	}
	if w.needsGuard("dial", []byte(`{"tables":"recommended","number":"1"}`)) || w.needsGuard("pin", []byte(`{"pin":"regex"}`)) {
		t.Error("a call without a regular expression was routed to the guarded pool")
	}
	if !w.needsGuard("dial", []byte(`{"tables": `+strconv.Itoa(h)+`, "number":"1"}`)) || !w.needsGuard("lint", []byte(`{"tables":{"t\u0061bles":[]}}`)) {
		t.Error("a call that may run a regular expression was not guarded")
	}
	if s := w.Stats(); s.Discarded != 0 {
		t.Errorf("main pool stats %+v: the regex calls should not have touched it", s)
	}
}
