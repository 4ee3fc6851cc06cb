package host

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	tollgate "github.com/tollgate/tollgate"
	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
)

// Benchmarks for docs/performance.md ("WebAssembly engine versus native").
// Compare native and wasm sub-benchmarks of one run as ratios:
//
//	go test -run '^$' -bench . -benchtime=200ms -count=3 ./host

var benchOps = []struct{ name, op, req string }{
	{"pin", "pin", `{"policy":"cuc","pin":"135792","context":{"extensions":["36697"],"first_name":"Ann","last_name":"Lee"}}`},
	{"pin-refused", "pin", `{"policy":"cuc","pin":"123456","context":{"extensions":["36697"]}}`},
	{"password", "password", `{"policy":"cuc","password":"Tr0ub4dor&3x!","context":{"alias":"jdoe"}}`},
	{"hash.verify-sha1", "hash.verify", `{"record":"{SHA}fEqNCco3Yq9h5ZUglD3CZJT4lBs=","secret":"123456"}`},
	{"dial-json", "dial", `{"tables":"recommended","table":"Recommended Outdial","number":"14155551234"}`},
	{"unknown-op", "nop", `{}`},
}

func benchEngines(b *testing.B) []Engine {
	w, err := NewWasm(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return []Engine{NewNative(Options{}), w}
}

// BenchmarkOp is each operation through Engine.Do, native against wasm.
func BenchmarkOp(b *testing.B) {
	ctx := context.Background()
	for _, e := range benchEngines(b) {
		for _, o := range benchOps {
			req := []byte(o.req)
			b.Run(o.name+"/"+e.Name(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					e.Do(ctx, o.op, req)
				}
			})
		}
	}
}

// BenchmarkOverhead is the cost of crossing into the module: an export that
// does nothing (buf_cap) through CallWithStack, against calling the
// native dispatcher for an unknown op, the cheapest api path.
func BenchmarkOverhead(b *testing.B) {
	w := newBenchWasm(b)
	wk, err := w.get(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ww := wk.(*wasmWorker)
	b.Run("export-nop/wasm", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			ww.capFn.CallWithStack(ctx, ww.stack)
		}
	})
	b.Run("call-unknown-op/wasm", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			ww.do(ctx, "nop", nil)
		}
	})
	s := api.NewSession()
	b.Run("call-unknown-op/native", func(b *testing.B) {
		var out []byte
		for b.Loop() {
			out, _ = s.Do("nop", nil, out[:0])
		}
	})
	w.put(wk, false)
}

func newBenchWasm(b *testing.B) *Wasm {
	w, err := NewWasm(context.Background(), Options{Instances: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return w
}

// BenchmarkColdStart is what a new process pays before its first call:
// compiling the module with no cache, with a warm on-disk cache, and with
// the interpreter (no compilation).
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	warm := b.TempDir()
	if _, err := compile(ctx, compileKey{pages: DefaultMemoryLimitPages, cacheDir: warm}, tollgate.Module); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		key  func() compileKey
	}{
		{"compile-no-cache", func() compileKey { return compileKey{pages: DefaultMemoryLimitPages} }},
		{"compile-warm-cache", func() compileKey { return compileKey{pages: DefaultMemoryLimitPages, cacheDir: warm} }},
		{"interpreter", func() compileKey { return compileKey{pages: DefaultMemoryLimitPages, interpreter: true} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cm, err := compile(ctx, c.key(), tollgate.Module)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cm.rt.Close(ctx)
				b.StartTimer()
			}
		})
	}
	_ = os.RemoveAll(warm)
}

// BenchmarkInstantiate is one new pooled instance: instantiate, run
// _initialize, check the ABI version, read the buffer; then close it.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	w := newBenchWasm(b)
	b.ReportAllocs()
	for b.Loop() {
		wk, err := w.c.instantiate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		wk.close()
	}
}

// BenchmarkInstantiateWithData is BenchmarkInstantiate plus loading the
// committed data artifacts (what the pool does for each new instance): the
// cost of the breached-password list per instance.
func BenchmarkInstantiateWithData(b *testing.B) {
	ctx := context.Background()
	w := newBenchWasm(b)
	data, err := dataOf(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		wk, err := w.c.instantiate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range data {
			if err := wk.loadData(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
		wk.close()
	}
}

// BenchmarkDial is the hot path: one 11-digit number per call through each
// engine's Dial, the batch form per number, and the bare matcher (the core
// with no engine around it).
func BenchmarkDial(b *testing.B) {
	ctx := context.Background()
	number := []byte("14155551234")
	batch := make([][]byte, 1000)
	for i := range batch {
		batch[i] = []byte(strconv.Itoa(14155550000 + i))
	}
	out := make([]DialResult, len(batch))
	for _, e := range benchEngines(b) {
		h, err := e.LoadTables(ctx, []byte(`"recommended"`))
		if err != nil {
			b.Fatal(err)
		}
		ti, err := e.TableIndex(ctx, h, "Recommended Outdial")
		if err != nil {
			b.Fatal(err)
		}
		b.Run("single/"+e.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Dial(ctx, h, ti, number)
			}
		})
		b.Run("batch-per-number/"+e.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.DialBatch(ctx, h, ti, batch, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/number")
		})
	}
	set, err := dialplan.Builtin("recommended")
	if err != nil {
		b.Fatal(err)
	}
	t, _ := set.Table("Recommended Outdial")
	b.Run("single/core", func(b *testing.B) {
		for b.Loop() {
			t.Match(number)
		}
	})
}

// BenchmarkCloseOnContextDone is what wazero's WithCloseOnContextDone
// (Options.CloseOnContextDone) costs per call, against an engine without it.
func BenchmarkCloseOnContextDone(b *testing.B) {
	ctx := context.Background()
	pin := []byte(`{"policy":"cuc","pin":"135792","context":{"extensions":["36697"],"first_name":"Ann","last_name":"Lee"}}`)
	for _, guarded := range []bool{false, true} {
		w, err := NewWasm(ctx, Options{Instances: 1, CloseOnContextDone: guarded})
		if err != nil {
			b.Fatal(err)
		}
		name := "off"
		if guarded {
			name = "on"
		}
		h, err := w.LoadTables(ctx, []byte(`"recommended"`))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("dial/"+name, func(b *testing.B) {
			for b.Loop() {
				w.Dial(ctx, h, 1, []byte("14155551234"))
			}
		})
		b.Run("pin/"+name, func(b *testing.B) {
			for b.Loop() {
				w.Do(ctx, "pin", pin)
			}
		})
		w.Close()
	}
}

// regexTables is a Kamailio-style table: a number that is allowed crosses
// every regex row into the module's host and back (ABI v2).
const regexTables = `{"trunk_access_codes":["9"],"tables":[{"name":"k","dialect":"regex","max_digits":20,"rows":[
{"pattern":"^(00|011)","blocked":true},{"pattern":"^1?900[0-9]{7}$","blocked":true},
{"pattern":"^1?976","blocked":true},{"pattern":"^[2-9][0-9]{6}$"},{"pattern":"^1?[2-9][0-9]{9}$"},{"pattern":".*","blocked":true}]}]}`

// BenchmarkRegex is a dial on regex rows through the scalar path: natively
// regexp2 runs in process; in the wasm engine each row is a regex_match
// import call into the host.
func BenchmarkRegex(b *testing.B) {
	ctx := context.Background()
	for _, e := range benchEngines(b) {
		h, err := e.LoadTables(ctx, []byte(regexTables))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct{ name, number string }{{"first-row", "011442079460000"}, {"fifth-row", "14155551234"}} {
			number := []byte(c.number)
			if r, err := e.Dial(ctx, h, 0, number); err != nil || r.Row < 0 {
				b.Fatalf("%s: %+v %v", c.name, r, err)
			}
			b.Run(c.name+"/"+e.Name(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					e.Dial(ctx, h, 0, number)
				}
			})
		}
	}
}

// BenchmarkDeadline is what the engine's deadline costs (issue 14 item 1):
// a cheap call and a PBKDF2 verification (10 000 iterations, polling the
// clock every 1 024) under context.Background and under a context with a
// deadline, against wazero's WithCloseOnContextDone. docs/host.md has the
// figures:
//
//	go test -run '^$' -bench Deadline -benchtime=20x -count=3 ./host
func BenchmarkDeadline(b *testing.B) {
	pin := []byte(`{"policy":"cuc","pin":"135792","context":{"extensions":["36697"],"first_name":"Ann","last_name":"Lee"}}`)
	pbkdf2 := []byte(`{"record":"{PBKDF2-SHA256}10000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","secret":"x"}`)
	for _, mode := range []string{"background", "deadline", "close-on-done"} {
		w, err := NewWasm(context.Background(), Options{Instances: 1, HeavyInstances: 1, CloseOnContextDone: mode == "close-on-done"})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if mode != "background" {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Hour)
			defer cancel()
		}
		b.Run("pin/"+mode, func(b *testing.B) {
			for b.Loop() {
				w.Do(ctx, "pin", pin)
			}
		})
		b.Run("pbkdf2-10k/"+mode, func(b *testing.B) {
			for b.Loop() {
				if _, err := w.Do(ctx, "hash.verify", pbkdf2); err != nil {
					b.Fatal(err)
				}
			}
		})
		w.Close()
	}
}
