package engine

// Regression tests for findings of the attack on tollgate (issue 14), named
// after the finding; docs/security.md states the threat model.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/abi"
)

// Finding 6, non-UTF-8 secrets collide: on both engines, a secret that is
// raw invalid UTF-8 or an escaped lone surrogate (which the corpus, being
// UTF-8 JSON read by every host, can carry only as an escape) is refused
// with the native session's error, byte for byte. The raw bytes reach the
// module unchanged, so this is the module's own decoder refusing them.
func TestAttackNonUTF8SecretsCollide(t *testing.T) {
	ctx := context.Background()
	reqs := []struct{ op, req, field string }{
		{"hash.verify", "{\"record\":\"{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\",\"secret\":\"Kx93\xfe\"}", "secret"},
		{"hash.make", "{\"scheme\":\"{SSHA}\",\"secret\":\"Kx93\xff\"}", "secret"},
		{"hash.make", `{"scheme":"{SSHA}","secret":"Kx93\udcff"}`, "secret"},
		{"pin", "{\"pin\":\"739164\",\"context\":{\"previous\":[\"7391\xff4\"]}}", "context.previous[0]"},
		{"password", "{\"password\":\"Correct-horse-\xff-battery\"}", "password"},
		{"password", "{\"password\":\"Correct-horse-battery-9\",\"context\":{\"old\":\"\xed\xa0\x80\"}}", "context.old"},
	}
	for _, e := range engines(t) {
		for _, tc := range reqs {
			want, _ := api.NewSession().Do(tc.op, []byte(tc.req), nil)
			got, _ := api.Do(ctx, e, tc.op, []byte(tc.req), nil)
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s %q:\n got %s\nwant %s", e.Kind(), tc.op, tc.req, got, want)
			}
			if !strings.Contains(string(got), `"code":"bad_request"`) || !strings.Contains(string(got), `"field":"`+tc.field+`"`) {
				t.Errorf("%s %s %q: %s, want bad_request on %s", e.Kind(), tc.op, tc.req, got, tc.field)
			}
		}
	}
}

// expensiveVerify is a hash.verify at the iteration cap, PBKDF2-SHA512 at
// 1 000 000 iterations: about 0.8 s natively and 8 s in the wasm engine.
var expensiveVerify = &api.HashVerifyRequest{
	Record: "{PBKDF2-SHA512}1000000$AAAAAAAAAAAAAAAAAAAAAA$" +
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	Secret: "x",
}

// TestAttackHashVerifyFreezesServe (issue 14 item 1): two expensive hash
// verifications held every instance and ran to their end whatever their
// context said. Now they run in the heavy pool, so PIN and dial verdicts
// keep coming while one runs, and a call whose context ends is stopped on
// both engines (a deadline Fault): the wasm instance is discarded and
// replaced, the native session (which stops itself) is kept.
func TestAttackHashVerifyFreezesServe(t *testing.T) {
	for _, e := range engines(t, sizes(1, 1)) {
		t.Run(e.Kind().String(), func(t *testing.T) {
			tables, err := e.LoadTables(context.Background(), api.BuiltinTables("recommended"))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := e.VerifyHash(ctx, expensiveVerify)
				done <- err
			}()
			// The one main instance answers while the verification runs:
			// no answer here may wait for it.
			waitBusy(t, e, "heavy")
			for i := range 20 {
				v, err := e.CheckPIN(context.Background(), &api.PINRequest{PIN: "135792"})
				if err != nil || !v.Accepted {
					t.Fatalf("PIN check %d during the verification: %+v, %v", i, v, err)
				}
				d, err := e.DialNumber(context.Background(), tables.Handle, 1, []byte("14155551234"))
				if err != nil || !d.Allowed {
					t.Fatalf("dial %d during the verification: %+v, %v", i, d, err)
				}
				select {
				case err := <-done:
					t.Fatalf("the verification ended (%v) before the PIN checks: the test proves nothing", err)
				default:
				}
			}
			cancel()
			err = <-done
			var f *Fault
			if !errors.As(err, &f) || f.Kind != FaultDeadline || !IsDeadline(err) {
				t.Fatalf("the cancelled verification = %v, want a deadline fault", err)
			}
			if strings.Contains(err.Error(), "stack") {
				t.Errorf("the fault's message carries a stack trace: %q", err)
			}
			heavy := e.Pools()[1]
			wantDiscarded := int64(0)
			if e.Kind() == Wasm {
				wantDiscarded = 1 // closed and replaced
			}
			if heavy.Deadlines != 1 || heavy.Discarded != wantDiscarded {
				t.Errorf("heavy pool %+v: want 1 deadline, %d discarded", heavy, wantDiscarded)
			}
			// The next expensive call gets an instance, fresh or kept.
			h, err := e.VerifyHash(context.Background(), &api.HashVerifyRequest{Record: "{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=", Secret: "123456"})
			if err != nil || !h.Verified {
				t.Errorf("hash.verify after the deadline = %+v, %v", h, err)
			}
		})
	}
}

// waitBusy waits until a worker of the named pool is busy.
func waitBusy(t *testing.T, e Engine, pool string) {
	t.Helper()
	for range 100_000 {
		for _, p := range e.Pools() {
			if p.Pool == pool && p.Busy > 0 {
				return
			}
		}
		runtime.Gosched()
	}
	t.Fatalf("no %s worker became busy", pool)
}

// exhaustingTables is the attack's 30-byte pattern (issue 14 item 7).
const exhaustingTables = `{"tables":[{"name":"T","max_digits":300,"rows":[{"pattern":"*1?????????????????"},{"pattern":"*","blocked":false}]}]}`

// TestAttackPatternExhaustsGuest (issue 14 item 7): the pattern trapped
// the wasm engine (its 500 answer carried a wasm stack trace) while native
// refused it. Both now refuse it with the same error, the instance stays,
// and no fault message carries a stack trace.
func TestAttackPatternExhaustsGuest(t *testing.T) {
	ctx := context.Background()
	es := engines(t, sizes(1, 1))
	doc := api.TablesJSON([]byte(exhaustingTables))
	calls := map[string]func(e Engine) error{
		"tables.load": func(e Engine) error { _, err := e.LoadTables(ctx, doc); return err },
		"dial": func(e Engine) error {
			_, err := e.Dial(ctx, &api.DialRequest{Tables: doc, Number: "12345"})
			return err
		},
		"lint": func(e Engine) error { _, err := e.Lint(ctx, &api.LintRequest{Tables: doc}); return err },
	}
	for op, call := range calls {
		werr, nerr := call(es[1]), call(es[0])
		var ae *api.Error
		if d := sameError(werr, nerr); d != "" || !errors.As(nerr, &ae) || ae.Code != api.ErrInvalidTables || !strings.Contains(ae.Message, "need more than 24 MiB") {
			t.Errorf("%s: wasm %v\nnative %v\nwant the same invalid_tables error (%s)", op, werr, nerr, d)
		}
	}
	w := es[1].(*wasmEngine)
	if s := stats(w); s.Discarded != 0 {
		t.Errorf("stats %+v: a refused document must not cost an instance", s)
	}
	// A real trap (the guest exhausts its memory): the fault names the
	// export and the kind, and no wasm stack trace.
	err := w.Fault(ctx, abi.FaultMemory)
	if faultKind(err) != FaultTrap {
		t.Fatalf("Fault(memory) = %v, want a trap", err)
	}
	if msg := err.Error(); strings.Contains(msg, "stack") || strings.Contains(msg, "\n") || strings.Contains(msg, "$") {
		t.Errorf("the trap's message carries the runtime's trace: %q", msg)
	}
}

// hundredKRows is a tables document of n cuc rows shaped like real ones
// (core/dialplan's benchDoc: access code 9, a 2-7 digit prefix, sometimes
// ? placeholders, mostly a trailing *), or the same in Unified CM's
// dialect (X, !, closest match).
func hundredKRows(n int, cucm bool) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 99))
	var b strings.Builder
	b.WriteString(`{"tables":[{"name":"Bench","max_digits":40,`)
	one, any := "?", "*"
	if cucm {
		b.WriteString(`"dialect":"cucm",`)
		one, any = "X", "!"
	}
	b.WriteString(`"rows":[`)
	for i := 0; i < n-1; i++ {
		p := "9"
		for k := 2 + r.IntN(6); k > 0; k-- {
			p += string(rune('0' + r.IntN(10)))
		}
		if r.IntN(3) == 0 {
			p += strings.Repeat(one, 1+r.IntN(7))
		}
		if r.IntN(4) > 0 {
			p += any
		}
		fmt.Fprintf(&b, `{"pattern":%q,"blocked":%v},`, p, r.IntN(2) == 0)
	}
	fmt.Fprintf(&b, `{"pattern":%q,"blocked":false}]}]}`, any)
	return []byte(b.String())
}

// TestAttackLargeTableFailsOnWasm (issue 14 item 8): the README's
// 100 000-row table failed to load on the wasm engine in 5 of 6 runs, the
// 100 000-row Unified CM table in every run (native loaded both). The
// guest's heap grew into the instance's 128 MiB cap, and where a garbage
// collection fell past that depended on timing. Now a load's work is
// bounded the same way on both engines (core/dialplan), the module does
// not keep or copy a loaded document, and it collects at 50 % growth
// during a large request: the cuc table loads every time under the
// default cap, and no instance's memory passes three quarters of it; the
// Unified CM one is refused by both engines with the same error.
//
// Measured peaks (2026-12-03): 47-56 MiB at GOGC 50, 59-67 MiB at the
// first setting, GOGC 100. This test used to load under half the default
// cap, 64 MiB, which is where those peaks are: on a busy machine one load
// in ten to twenty trapped (a 3.5 MiB block in newNFA, 60 MiB in use) or
// was retried on a fresh instance, and a CI run failed on it. So the
// margin is asserted as memory, not by a coin-flip at the cap.
func TestAttackLargeTableFailsOnWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 100 000-row table into several instances")
	}
	ctx := context.Background()
	cuc, cucm := api.TablesJSON(hundredKRows(100_000, false)), api.TablesJSON(hundredKRows(100_000, true))
	const most = DefaultMemoryLimitPages / 4 * 3 * 65536
	for i := range 3 {
		w := newTestWasm(t, sizes(1, 1))
		info, err := w.LoadTables(ctx, cuc)
		if err != nil {
			t.Fatalf("load %d of the 100 000-row table: %v", i, err)
		}
		// A dial lazily loads the table into a main instance as well.
		if r, err := w.DialNumber(ctx, info.Handle, 0, []byte("9123")); err != nil || r.Row < 0 {
			t.Fatalf("dial after load %d: %+v, %v", i, r, err)
		}
		if s := stats(w); s.Discarded != 0 || s.Created != 2 {
			t.Errorf("load %d: stats %+v: the table fits one instance", i, s)
		}
		for _, p := range []*pool{w.heavy, w.main} {
			p.mu.Lock()
			for _, x := range p.idle {
				if n := x.mem.Size(); n > most {
					t.Errorf("load %d: a %s instance's memory grew to %d MiB, over three quarters of the default cap", i, p.name, n>>20)
				}
			}
			p.mu.Unlock()
		}
		w.Close()
	}
	es := engines(t, sizes(1, 1))
	_, werr := es[1].LoadTables(ctx, cucm)
	_, nerr := es[0].LoadTables(ctx, cucm)
	var ae *api.Error
	if d := sameError(werr, nerr); d != "" || !errors.As(nerr, &ae) || ae.Code != api.ErrInvalidTables {
		t.Errorf("the 100 000-row cucm table: wasm %v\nnative %v\nwant the same invalid_tables error", werr, nerr)
	}
}

// BenchmarkLoadLargeTable is one load of the 100 000-row table into a
// fresh wasm instance: what the module's collector setting during heavy
// calls costs (wasm/main.go, heavyGCPercent).
func BenchmarkLoadLargeTable(b *testing.B) {
	ctx := context.Background()
	cuc := api.TablesJSON(hundredKRows(100_000, false))
	for b.Loop() {
		b.StopTimer()
		w := newTestWasm(b, sizes(1, 1))
		if _, err := w.CheckPIN(ctx, &api.PINRequest{PIN: "1234"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := w.LoadTables(ctx, cuc); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		w.Close()
		b.StartTimer()
	}
}
