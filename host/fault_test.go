package host

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/internal/abi"
)

// okCall checks the engine answers a call normally (an api answer, not a
// Fault) after a fault.
func okCall(t *testing.T, e Engine) {
	t.Helper()
	resp, err := e.Do(context.Background(), "policy.load", []byte(`"cuc"`))
	var f *Fault
	if errors.As(err, &f) || resp == nil {
		t.Fatalf("the call after the fault failed: %v", err)
	}
}

func newTestWasm(t *testing.T, opts Options) *Wasm {
	t.Helper()
	w, err := NewWasm(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	requireModule(t, w)
	return w
}

// requireModule fails t unless w's workers are module instances: the
// tests comparing the wasm engine with the native one must not compare
// the native core with itself.
func requireModule(t testing.TB, w *Wasm) {
	t.Helper()
	wk, err := w.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer w.put(wk, false)
	if _, ok := wk.(*wasmWorker); !ok {
		t.Fatalf("the wasm engine's worker is a %T, not a module instance", wk)
	}
}

func TestFaultPanicDiscardsInstance(t *testing.T) {
	w := newTestWasm(t, Options{Instances: 1})
	before := w.Stats()
	err := w.fault(context.Background(), abi.FaultPanic)
	var f *Fault
	if !errors.As(err, &f) || f.Status != "panic" {
		t.Fatalf("fault(panic) = %v, want a Fault with status panic", err)
	}
	if got := w.Stats(); got.Discarded != before.Discarded+1 {
		t.Fatalf("discarded %d instances, want %d", got.Discarded, before.Discarded+1)
	}
	okCall(t, w)
	if got := w.Stats(); got.Created != before.Created+1 {
		t.Fatalf("created %d instances, want a replacement (%d)", got.Created, before.Created+1)
	}
}

func TestFaultMemoryExhausted(t *testing.T) {
	// A small cap makes exhaustion quick; the Go runtime aborts (a trap).
	w := newTestWasm(t, Options{Instances: 1, MemoryLimitPages: 256})
	err := w.fault(context.Background(), abi.FaultMemory)
	var f *Fault
	if !errors.As(err, &f) || f.Status != "trap" {
		t.Fatalf("fault(memory) = %v, want a trap", err)
	}
	if w.Stats().Discarded != 1 {
		t.Fatalf("the trapped instance was not discarded: %+v", w.Stats())
	}
	okCall(t, w)
}

// TestFaultMemoryThroughCall exhausts memory with a request: growing the
// buffer past the cap traps inside buf_reserve.
func TestFaultMemoryThroughCall(t *testing.T) {
	w := newTestWasm(t, Options{Instances: 1, MemoryLimitPages: 256}) // 16 MiB
	req := bytes.Repeat([]byte("1"), 15<<20)
	resp, err := w.Do(context.Background(), "pin", req)
	var f *Fault
	if !errors.As(err, &f) || resp != nil {
		t.Fatalf("Do(15 MiB) under a 16 MiB cap = %q, %v; want a Fault", resp, err)
	}
	okCall(t, w)
	if s := w.Stats(); s.Discarded != 1 || s.Created != 2 {
		t.Fatalf("stats %+v: want the instance replaced", s)
	}
}

func TestOversizedRequest(t *testing.T) {
	w := newTestWasm(t, Options{Instances: 1})
	req := make([]byte, abi.MaxBuf+1)
	resp, err := w.Do(context.Background(), "pin", req)
	var f *Fault
	if !errors.As(err, &f) || f.Status != "too_large" || resp != nil {
		t.Fatalf("Do(max_buf+1) = %q, %v; want a too_large Fault", resp, err)
	}
	if strings.Contains(err.Error(), "111") {
		t.Fatalf("error mentions the input: %v", err)
	}
	okCall(t, w)
	if s := w.Stats(); s.Discarded != 0 {
		t.Errorf("stats %+v: a request refused before it reached the module must not cost the instance", s)
	}
	if _, err := w.Dial(context.Background(), 0, 0, make([]byte, abi.MaxBuf+1)); !errors.Is(err, errTooLarge) {
		t.Errorf("Dial(max_buf+1) = %v, want a too_large Fault", err)
	}
}

func TestUnknownABIVersionRefused(t *testing.T) {
	// Version 1 modules ran regular expressions inside the module; this
	// host gives them no regexp2 and refuses them, as it refuses the next
	// version.
	for _, v := range []byte{1, abi.Version + 1} {
		_, err := NewWasm(context.Background(), Options{Module: fakeModule(v), NoCache: true})
		if err == nil || !strings.Contains(err.Error(), "ABI version "+strconv.Itoa(int(v))+";") {
			t.Fatalf("NewWasm(version %d module) = %v, want a refusal naming the version", v, err)
		}
	}
	_, err := NewWasm(context.Background(), Options{Module: []byte("\x00asm\x01\x00\x00\x00"), NoCache: true})
	if err == nil || !strings.Contains(err.Error(), "does not export") {
		t.Fatalf("NewWasm(empty module) = %v, want a refusal", err)
	}
}

func TestClosedEngine(t *testing.T) {
	w := newTestWasm(t, Options{})
	w.Close()
	if _, err := w.Do(context.Background(), "pin", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close = %v, want ErrClosed", err)
	}
}

func TestCancelledContext(t *testing.T) {
	w := newTestWasm(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Do(ctx, "pin", []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do(cancelled) = %v, want context.Canceled", err)
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
