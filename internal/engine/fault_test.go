package engine

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/abi"
)

// newTestWasm is a wasm engine with the committed module and data, as
// its concrete type (for Fault, its pools and its registry).
func newTestWasm(t testing.TB, adjust ...func(*Options)) *wasmEngine {
	t.Helper()
	return newTestEngine(t, Wasm, adjust...).(*wasmEngine)
}

// sizes sets the pools' sizes.
func sizes(main, heavy int) func(*Options) {
	return func(o *Options) { o.PoolSize, o.HeavySize = main, heavy }
}

// pages caps each instance's memory.
func pages(n uint32) func(*Options) { return func(o *Options) { o.MemoryLimitPages = n } }

// stats is the sum of an engine's pools.
func stats(e Engine) PoolStats {
	var s PoolStats
	for _, p := range e.Pools() {
		s.Size += p.Size
		s.Busy += p.Busy
		s.Created += p.Created
		s.Discarded += p.Discarded
		s.Deadlines += p.Deadlines
		s.Loads += p.Loads
	}
	return s
}

// okCall checks the engine answers a call normally (an api answer, not a
// Fault) after a fault.
func okCall(t *testing.T, e Engine) {
	t.Helper()
	if _, err := e.LoadPolicy(context.Background(), api.Profile("cuc")); err != nil {
		t.Fatalf("the call after the fault failed: %v", err)
	}
	if v, err := e.CheckPIN(context.Background(), &api.PINRequest{PIN: "135792"}); err != nil || !v.Accepted {
		t.Fatalf("the PIN check after the fault: %+v, %v", v, err)
	}
}

func faultKind(err error) FaultKind {
	var f *Fault
	if errors.As(err, &f) {
		return f.Kind
	}
	return ""
}

func TestFaultPanicDiscardsInstance(t *testing.T) {
	w := newTestWasm(t, sizes(1, 1))
	before := stats(w)
	err := w.Fault(context.Background(), abi.FaultPanic)
	if faultKind(err) != FaultPanic {
		t.Fatalf("Fault(panic) = %v, want a Fault of kind panic", err)
	}
	if got := stats(w); got.Discarded != before.Discarded+1 {
		t.Fatalf("discarded %d instances, want %d", got.Discarded, before.Discarded+1)
	}
	okCall(t, w)
	if got := w.Pools()[0]; got.Created != before.Created+1 {
		t.Fatalf("created %d main instances, want a replacement (%d)", got.Created, before.Created+1)
	}
}

func TestFaultMemoryExhausted(t *testing.T) {
	// A small cap makes exhaustion quick; the Go runtime aborts (a trap).
	w := newTestWasm(t, sizes(1, 1), pages(256))
	err := w.Fault(context.Background(), abi.FaultMemory)
	if faultKind(err) != FaultTrap {
		t.Fatalf("Fault(memory) = %v, want a trap", err)
	}
	if s := stats(w); s.Discarded != 1 {
		t.Fatalf("the trapped instance was not discarded: %+v", s)
	}
	okCall(t, w)
}

// TestFaultMemoryThroughCall exhausts memory with a request: growing the
// buffer past the cap traps inside buf_reserve.
func TestFaultMemoryThroughCall(t *testing.T) {
	w := newTestWasm(t, sizes(1, 1), pages(256)) // 16 MiB
	pin := strings.Repeat("1", 15<<20)
	_, err := w.CheckPIN(context.Background(), &api.PINRequest{PIN: pin})
	if faultKind(err) != FaultTrap {
		t.Fatalf("CheckPIN(15 MiB) under a 16 MiB cap = %v; want a trap", err)
	}
	if strings.Contains(err.Error(), "111") {
		t.Fatalf("the fault's message holds the input: %v", err)
	}
	okCall(t, w)
	if s := w.Pools()[0]; s.Discarded != 1 || s.Created != 2 {
		t.Fatalf("main pool %+v: want the instance replaced", s)
	}
}

func TestOversizedRequest(t *testing.T) {
	ctx := context.Background()
	w := newTestWasm(t, sizes(1, 1))
	pin := strings.Repeat("1", abi.MaxBuf+1)
	_, err := w.CheckPIN(ctx, &api.PINRequest{PIN: pin})
	if faultKind(err) != FaultTooLarge {
		t.Fatalf("CheckPIN(max_buf+1) = %v; want a too_large Fault", err)
	}
	if strings.Contains(err.Error(), "111") {
		t.Fatalf("error mentions the input: %v", err)
	}
	// Through the JSON adapter: the same Fault, nothing appended.
	out, err := api.Do(ctx, w, "pin", []byte(`{"pin":"`+pin+`"}`), nil)
	if faultKind(err) != FaultTooLarge || out != nil {
		t.Fatalf("Do(max_buf+1) = %.20q, %v; want a too_large Fault", out, err)
	}
	okCall(t, w)
	if s := stats(w); s.Discarded != 0 {
		t.Errorf("stats %+v: a request refused before it reached the module must not cost the instance", s)
	}
	h, err := w.LoadTables(ctx, api.BuiltinTables("default"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DialNumber(ctx, h.Handle, 0, make([]byte, abi.MaxBuf+1)); !errors.Is(err, errTooLarge) {
		t.Errorf("DialNumber(max_buf+1) = %v, want a too_large Fault", err)
	}
	if s := stats(w); s.Discarded != 0 {
		t.Errorf("stats %+v: an oversized number must not cost the instance", s)
	}
}

func TestUnknownABIVersionRefused(t *testing.T) {
	// Version 1 modules ran regular expressions inside the module; this
	// host gives them no regexp2 and refuses them, as it refuses the next
	// version.
	ctx := context.Background()
	for _, v := range []byte{1, abi.Version + 1} {
		_, err := New(ctx, Options{Kind: Wasm, Module: fakeModule(v), NoCache: true})
		if err == nil || !strings.Contains(err.Error(), "ABI version "+strconv.Itoa(int(v))+";") {
			t.Fatalf("New(version %d module) = %v, want a refusal naming the version", v, err)
		}
	}
	_, err := New(ctx, Options{Kind: Wasm, Module: []byte("\x00asm\x01\x00\x00\x00"), NoCache: true})
	if err == nil || !strings.Contains(err.Error(), "does not export") {
		t.Fatalf("New(empty module) = %v, want a refusal", err)
	}
	if _, err := New(ctx, Options{Kind: Wasm}); err == nil || !strings.Contains(err.Error(), "needs a module") {
		t.Fatalf("New(wasm, no module) = %v, want a refusal", err)
	}
}

// TestClosedEngine: every call on a closed engine fails with ErrClosed,
// on both engines, loads of documents the engine already holds and
// unloads included (they need no instance).
func TestClosedEngine(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines(t) {
		p, err := e.LoadPolicy(ctx, api.Profile("cucm"))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := e.LoadTables(ctx, api.BuiltinTables("default"))
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		e.Close() // twice is fine
		for name, call := range map[string]func() error{
			"CheckPIN":   func() error { _, err := e.CheckPIN(ctx, &api.PINRequest{PIN: "1"}); return err },
			"LoadPolicy": func() error { _, err := e.LoadPolicy(ctx, api.Profile("cucm")); return err },
			"LoadTables": func() error { _, err := e.LoadTables(ctx, api.BuiltinTables("default")); return err },
			"Unload":     func() error { return e.Unload(ctx, p.Handle) },
			"Dial": func() error {
				_, err := e.Dial(ctx, &api.DialRequest{Tables: api.TablesHandle(tb.Handle), Number: "1"})
				return err
			},
			"DialNumber": func() error { _, err := e.DialNumber(ctx, tb.Handle, 0, []byte("1")); return err },
			"TableIndex": func() error { _, err := e.TableIndex(ctx, tb.Handle, "", "", ""); return err },
			"Do":         func() error { _, err := api.Do(ctx, e, "pin", []byte(`{"pin":"1"}`), nil); return err },
		} {
			if got := call(); !errors.Is(got, ErrClosed) {
				t.Errorf("%s: %s after Close = %v, want ErrClosed", e.Kind(), name, got)
			}
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, e := range engines(t) {
		if _, err := e.CheckPIN(ctx, &api.PINRequest{PIN: "1"}); !errors.Is(err, context.Canceled) || !IsDeadline(err) {
			t.Errorf("%s: CheckPIN(cancelled) = %v, want context.Canceled", e.Kind(), err)
		}
		if _, err := e.VerifyHash(ctx, &api.HashVerifyRequest{Record: "{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=", Secret: "123456"}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: VerifyHash(cancelled) = %v, want context.Canceled", e.Kind(), err)
		}
		if _, err := e.LoadPolicy(ctx, api.Profile("cuc")); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: LoadPolicy(cancelled) = %v, want context.Canceled", e.Kind(), err)
		}
	}
}

// TestFaultMessages: a Fault's message names the op and the kind, never
// the runtime's error (a wasm stack trace), which Err keeps.
func TestFaultMessages(t *testing.T) {
	w := newTestWasm(t, sizes(1, 1), pages(256))
	err := w.Fault(context.Background(), abi.FaultMemory)
	var f *Fault
	if !errors.As(err, &f) || f.Err == nil {
		t.Fatalf("Fault(memory) = %#v, want a Fault keeping the runtime's error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "wasm stack") || !strings.Contains(msg, `"fault"`) || !strings.Contains(msg, "trap") {
		t.Errorf("the trap's message = %q; want the op and the kind, no trace", msg)
	}
	if !bytes.Contains([]byte(f.Err.Error()), []byte("wasm")) {
		t.Logf("the runtime's error: %v", f.Err)
	}
}

// fakeModule is a hand-assembled module with the required exports, a
// memory, and abi_version returning v.
func fakeModule(v byte) []byte {
	m := []byte("\x00asm\x01\x00\x00\x00")
	section := func(id byte, body []byte) { m = append(append(append(m, id), byte(len(body))), body...) }
	// types: 0 () -> i32, 1 (i32) -> i32, 2 (i32 i32) -> i32, 3 () -> ()
	section(1, []byte{4, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0})
	// functions: version, ptr, cap, reserve, call, initialize
	section(3, []byte{6, 0, 0, 0, 1, 2, 3})
	section(5, []byte{1, 0, 1}) // one memory, min 1 page
	var exp []byte
	add := func(name string, kind, idx byte) {
		exp = append(append(append(exp, byte(len(name))), name...), kind, idx)
	}
	add(abi.ExportVersion, 0, 0)
	add(abi.ExportBufPtr, 0, 1)
	add(abi.ExportBufCap, 0, 2)
	add(abi.ExportBufReserve, 0, 3)
	add(abi.ExportCall, 0, 4)
	add(abi.ExportInitialize, 0, 5)
	add("memory", 2, 0)
	section(7, append([]byte{7}, exp...))
	ret := func(n byte) []byte { return []byte{4, 0, 0x41, n, 0x0b} } // i32.const n; end
	var code []byte
	for _, b := range [][]byte{ret(v), ret(0), ret(64), ret(0), ret(0), {2, 0, 0x0b}} {
		code = append(code, b...)
	}
	section(10, append([]byte{6}, code...))
	return m
}
